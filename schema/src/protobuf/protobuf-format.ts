import type { FileRegistry } from "@bufbuild/protobuf";
import type { CompatibilityMode } from "../compatibility-mode.js";
import type { Direction } from "../jsonschema/changes.js";
import type {
  CompiledSchema,
  FormatChange,
  FormatCompatibility,
  FormatCompatibilityOptions,
  PayloadValidator,
  ResolvedReference,
  SchemaFormat,
  SchemaLabel,
  ValidatorOptions,
} from "../registry/registry-types.js";
import type { ProtobufBreakingCategory } from "./buf-breaking.js";
import { createBufRunner, type BufRunner } from "./buf-runner.js";
import { compileProtoFiles } from "./compile-proto-files.js";
import { protoSourceSet, sourceSetHash } from "./proto-sources.js";
import { diffProtobufStructure } from "./protobuf-structure-diff.js";
import { createProtobufValidator, messageTypeAtIndexes } from "./protobuf-validator.js";
import { confluentProtos } from "./confluent-protos.js";
import { protovalidateImportPath, protovalidateProtoText } from "./protovalidate-rules.js";

/** Options of {@link createProtobufFormat}. */
export interface ProtobufFormatOptions {
  /** Runs buf; inject a counting or recording runner in tests. @default the @bufbuild/buf binary */
  readonly runner?: BufRunner;
  /**
   * The buf category FULL and FULL_TRANSITIVE are checked with (as issue #3 asks: wire and JSON wire).
   * Every other mode, and checks made without a mode, use WIRE. @default "WIRE_JSON"
   */
  readonly fullCategory?: ProtobufBreakingCategory;
  /** How many compiled schema versions (by content hash) stay cached. @default 512 */
  readonly cacheSize?: number;
}

/** Options of {@link CompiledProtobufSchema.compatibility}. */
export interface ProtobufCompatibilityOptions extends FormatCompatibilityOptions {
  /** Overrides the category the mode maps to. */
  readonly category?: ProtobufBreakingCategory;
}

/** A compiled Protobuf schema version: its files, descriptors and buf image. */
export interface CompiledProtobufSchema extends CompiledSchema {
  readonly schemaType: "PROTOBUF";
  /** Import path the registered schema was compiled under (`schema.proto`). */
  readonly mainFile: string;
  /** Every file of the build (main, references, built-in protovalidate rules) by import path. */
  readonly files: ReadonlyMap<string, string>;
  /** Descriptors of every file, including imported well-known types. */
  readonly registry: FileRegistry;
  /** buf's image of the build (a FileDescriptorSet with source info). */
  readonly image: Uint8Array;
  /** Content hash of the files: two compiles of the same text and references share it. */
  readonly hash: string;
  /** The fully qualified message type Confluent message indexes name (see {@link messageTypeAtIndexes}). */
  messageTypeAt(indexes: readonly number[]): string;
  compatibility(
    older: CompiledSchema,
    direction: Direction,
    options?: ProtobufCompatibilityOptions,
  ): Promise<FormatCompatibility>;
}

/** The buf category a compatibility mode is checked with. */
export function categoryForMode(
  mode: CompatibilityMode | undefined,
  fullCategory: ProtobufBreakingCategory = "WIRE_JSON",
): ProtobufBreakingCategory {
  return mode === "FULL" || mode === "FULL_TRANSITIVE" ? fullCategory : "WIRE";
}

/** Whether a compiled schema is a Protobuf one made by {@link createProtobufFormat}. */
export function isCompiledProtobufSchema(value: CompiledSchema): value is CompiledProtobufSchema {
  return value.schemaType === "PROTOBUF" && "image" in value && value.image instanceof Uint8Array;
}

/**
 * The Protobuf schema format: `.proto` files (proto2, proto3 or editions, with imports given as references
 * and the google/protobuf well-known types built in) compiled with buf into descriptors.
 *
 * - compile: one `buf build` per distinct text + references (results are cached by content hash);
 *   errors are SCHEMA_INVALID with `file:line:col` and which file (registered schema or reference) it is.
 * - canonical: the text as given, with line endings and trailing whitespace normalized.
 * - compatibility: by message structure ({@link diffProtobufStructure}), in memory on the compiled
 *   descriptors (no buf call); `category` WIRE_JSON (FULL modes) also keeps the JSON form readable.
 * - validator: compiled once per version; checks the binary encoding and buf.validate (protovalidate)
 *   rules, never calling buf.
 */
export function createProtobufFormat(options: ProtobufFormatOptions = {}): SchemaFormat {
  const runner = options.runner ?? createBufRunner();
  const fullCategory = options.fullCategory ?? "WIRE_JSON";
  const cacheSize = options.cacheSize ?? 512;
  const compiled = new Map<string, Promise<CompiledProtobufSchema>>();
  const comparisons = new Map<string, Promise<FormatCompatibility>>();

  const remember = <T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key);
    if (hit !== undefined) {
      // Refresh its place so the cache evicts the least recently used entry.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const made = make();
    cache.set(key, made);
    made.catch(() => cache.delete(key));
    while (cache.size > cacheSize) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
    return made;
  };

  const compare = (
    newer: CompiledProtobufSchema,
    older: CompiledProtobufSchema,
    direction: Direction,
    category: ProtobufBreakingCategory,
  ): Promise<FormatCompatibility> => {
    const changes: FormatChange[] = diffProtobufStructure({
      older: { registry: older.registry, mainFile: older.mainFile },
      newer: { registry: newer.registry, mainFile: newer.mainFile },
      direction,
      category,
    }).map(({ side: _side, ...change }) => change);
    return Promise.resolve({ compatible: changes.every((c) => !c.breaking), changes });
  };

  const make = (
    set: ReturnType<typeof protoSourceSet>,
    hash: string,
    built: {
      registry: FileRegistry;
      image: Uint8Array;
    },
  ): CompiledProtobufSchema => {
    const self: CompiledProtobufSchema = {
      schemaType: "PROTOBUF",
      canonical: set.files.get(set.mainFile) ?? "",
      mainFile: set.mainFile,
      files: set.files,
      registry: built.registry,
      image: built.image,
      hash,
      messageTypeAt: (indexes) => messageTypeAtIndexes(built.registry, set.mainFile, indexes),
      compatibility(older, direction, compatOptions = {}) {
        if (!isCompiledProtobufSchema(older)) {
          return Promise.resolve({
            compatible: false,
            changes: [
              {
                type: "SCHEMA_TYPE_CHANGED",
                path: "",
                oldPath: "",
                message: `the older version is a ${older.schemaType} schema and this one is PROTOBUF; a subject cannot change its schema type — register the Protobuf schema under a new subject`,
                breaking: true,
              },
            ],
          });
        }
        const category = compatOptions.category ?? categoryForMode(compatOptions.mode, fullCategory);
        return remember(comparisons, `${hash}\0${older.hash}\0${direction}\0${category}`, () =>
          compare(self, older, direction, category),
        );
      },
      validator(label: SchemaLabel, validatorOptions: ValidatorOptions = {}): PayloadValidator {
        return createProtobufValidator({
          registry: built.registry,
          mainFile: set.mainFile,
          label,
          messageType: validatorOptions.messageType,
        });
      },
    };
    return self;
  };

  return {
    schemaType: "PROTOBUF",
    async compile(schema: string, references: readonly ResolvedReference[]): Promise<CompiledSchema> {
      const set = withBuiltInImports(protoSourceSet(schema, references));
      const hash = sourceSetHash(set);
      return remember(compiled, hash, async () => {
        const built = await compileProtoFiles(set.files, { runner, describe: (p) => set.origins.get(p) });
        return make(set, hash, built);
      });
    },
  };
}

/**
 * Adds the built-in imports a build needs and no reference provides, so schemas compile offline:
 * protovalidate's `buf/validate/validate.proto`, and Confluent's `confluent/meta.proto` and
 * `confluent/type/decimal.proto` (which Confluent Schema Registry also resolves without references).
 * The google/protobuf well-known types come with buf itself.
 */
export function withBuiltInImports<
  T extends { files: ReadonlyMap<string, string>; origins: ReadonlyMap<string, string> },
>(set: T): T {
  const builtIns: Array<[path: string, text: () => string, origin: string]> = [
    [
      protovalidateImportPath,
      protovalidateProtoText,
      "protovalidate's rules, built into Weir from @bufbuild/protovalidate",
    ],
    ...[...confluentProtos].map(([path, text]): [string, () => string, string] => [
      path,
      () => text,
      "Confluent's built-in types, built into Weir",
    ]),
  ];
  let files: Map<string, string> | undefined;
  let origins: Map<string, string> | undefined;
  // Imported files can import built-ins too (confluent/meta.proto imports descriptor.proto, built into buf).
  const needed = (path: string): boolean =>
    !(files ?? set.files).has(path) &&
    [...(files ?? set.files).values()].some((t) => t.includes(`"${path}"`));
  for (const [path, text, origin] of builtIns) {
    if (!needed(path)) continue;
    files ??= new Map(set.files);
    origins ??= new Map(set.origins);
    files.set(path, text());
    origins.set(path, origin);
  }
  return files === undefined || origins === undefined ? set : { ...set, files, origins };
}
