import { posix } from "node:path";
import { LineCounter, parseAllDocuments, visit, type Alias, type Document } from "yaml";
import type { SourceLocation } from "@weir/schema";
import {
  apiVersion,
  isResourceKind,
  resourceKinds,
  type ResourceByKind,
  type ResourceKind,
} from "../kinds/kinds.js";
import type { Config } from "../kinds/generated/config.js";
import { compareConfigErrors, type ConfigError } from "./config-error.js";
import {
  createDirectorySource,
  configReadProblem,
  createGitSource,
  type ConfigSource,
  type GitSourceOptions,
} from "./config-source.js";
import { checkPolicies } from "./check-policies.js";
import { validateKind } from "./validate-kind.js";
import { nodePosition, pointerPosition } from "./yaml-positions.js";

/** The namespace of resources when neither they nor weir.yaml name one. */
export const fallbackNamespace = "default";

/** The repository config file's names, at the config root. */
export const configFileNames: readonly string[] = ["weir.yaml", "weir.yml"];

/** How many alias expansions one YAML document may have (the yaml library's default, made explicit). */
export const maxAliasCount = 100;

/** The document's first alias node (`*name`), where an alias bomb is reported. */
function firstAlias(doc: Document.Parsed): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** One resource read from the repository, with where it was declared. */
export type LoadedResource<K extends ResourceKind = ResourceKind> = {
  [P in K]: {
    readonly kind: P;
    /** metadata.name: the broker-side name (topic, registry subject, principal...). */
    readonly name: string;
    /** metadata.namespace, else weir.yaml's spec.defaultNamespace, else `default`. */
    readonly namespace: string;
    /** The document as written (validated against its kind's JSON Schema). */
    readonly document: ResourceByKind[P];
    /** Where the document starts. */
    readonly location: SourceLocation;
    /**
     * Schema resources: spec.file resolved against the declaring YAML file's directory, relative to the
     * config root (the key of its text in {@link LoadResult.files}).
     */
    readonly schemaFile?: string;
    /** AccessPolicy resources: where each of spec.rules starts (for "denied by <policy> rule N (file:line)"). */
    readonly ruleLocations?: readonly SourceLocation[];
  };
}[K];

/** What {@link loadConfig} found: every valid resource, and every error (all of them, not the first). */
export interface LoadResult {
  readonly source: {
    readonly type: "directory" | "git";
    readonly description: string;
    readonly commit?: string;
  };
  /** weir.yaml's Config document, when there is a valid one. */
  readonly config?: Config;
  /** The namespace of resources that name none. */
  readonly defaultNamespace: string;
  /** Resources whose documents are valid, in file order. Invalid documents are left out (see `errors`). */
  readonly resources: readonly LoadedResource[];
  /** The text of every schema file a Schema resource names, by path relative to the config root. */
  readonly files: ReadonlyMap<string, string>;
  /** Every problem found, ordered by file and position. A non-empty list rejects the whole source. */
  readonly errors: readonly ConfigError[];
}

interface ParsedDoc {
  readonly file: string;
  /** The file's text (for positions inside string values). */
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/** Reads and validates the config repository in a directory (the working copy). */
export function loadConfigDirectory(dir: string): Promise<LoadResult> {
  return loadConfig(createDirectorySource(dir));
}

/**
 * Reads and validates the config repository as of a git ref, straight from git objects (no checkout; a
 * bare repository works). `result.source.commit` is the commit the ref resolved to.
 */
export async function loadConfigFromGit(options: GitSourceOptions): Promise<LoadResult> {
  return loadConfig(await createGitSource(options));
}

/**
 * Reads every `*.yaml` / `*.yml` file of a source, parses each document with positions, validates it
 * against its kind's JSON Schema, then checks the repository as a whole: duplicate names, references to
 * resources that do not exist, schema files that are missing, and the policies (CEL routes, routing
 * loops, malformed patterns, failing PolicyTests: see check-policies.ts).
 */
export async function loadConfig(source: ConfigSource): Promise<LoadResult> {
  const errors: ConfigError[] = [];
  const paths = (await source.listFiles()).filter((p) => /\.ya?ml$/i.test(p));
  for (const r of source.refused?.() ?? []) {
    errors.push({
      file: r.path,
      line: 1,
      column: 1,
      rule: "outside-root",
      message: r.message,
      hint: readProblemHint("outside-root"),
    });
  }
  const read = await Promise.all(
    paths.map(async (p) => {
      try {
        return [p, (await source.readFile(p)) ?? ""] as const;
      } catch (error) {
        const problem = configReadProblem(error);
        if (!problem) throw error;
        errors.push(readProblemError(p, problem));
        return undefined;
      }
    }),
  );
  const texts = read.filter((t) => t !== undefined);

  const located: Array<{ resource: Omit<LoadedResource, "namespace">; parsed: ParsedDoc; ns?: string }> = [];
  let config: Config | undefined;
  for (const [file, text] of texts) {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          const { line, col } = lineCounter.linePos(e.pos[0]);
          errors.push({
            file,
            line,
            column: col,
            rule: "yaml-syntax",
            message: `YAML syntax error: ${e.message.replace(/ at line \d+, column \d+.*$/s, "")}`,
            hint: "fix the YAML syntax; this document is checked further once it parses",
          });
        }
        continue;
      }
      if (doc.contents === null) continue; // an empty document (e.g. a trailing `---`)
      const parsed: ParsedDoc = { file, text, doc, lineCounter };
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount });
      } catch (error) {
        // yaml refuses a document whose aliases expand past maxAliasCount ("billion laughs").
        if (!(error instanceof ReferenceError)) throw error;
        const alias = firstAlias(doc);
        const { line, col } = lineCounter.linePos(alias?.range?.[0] ?? doc.contents.range[0]);
        errors.push({
          file,
          line,
          column: col,
          rule: "yaml-aliases",
          message: `YAML document expands too many aliases (more than ${maxAliasCount} alias uses after expansion); refused as a resource-exhaustion ("billion laughs") document`,
          hint: "write the values out instead of nesting aliases (*name) of aliases",
        });
        continue;
      }
      const at = (pointer: string, key = false): SourceLocation & { pointer: string } => ({
        file,
        ...pointerPosition(doc.contents, pointer, lineCounter, { key }),
        pointer,
      });
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        errors.push({
          ...at(""),
          rule: "unknown-kind",
          message: "a config document must be a mapping with apiVersion, kind, metadata and spec",
          hint: `start it with apiVersion: ${apiVersion} and kind: one of ${resourceKinds.join(", ")}`,
        });
        continue;
      }
      const { kind } = value as { kind?: unknown };
      if (!isResourceKind(kind)) {
        errors.push({
          ...at(kind === undefined ? "" : "/kind"),
          rule: "unknown-kind",
          message: kind === undefined ? "the document has no kind" : `unknown kind ${JSON.stringify(kind)}`,
          hint: `kind must be one of ${resourceKinds.join(", ")} (apiVersion: ${apiVersion})`,
        });
        continue;
      }
      const violations = validateKind(kind, value);
      for (const v of violations) {
        errors.push({
          ...at(v.pointer, v.atKey),
          rule: v.pointer === "/apiVersion" ? "unknown-kind" : "schema",
          message: `${kind}: ${v.message}`,
          ...(v.hint ? { hint: v.hint } : {}),
        });
      }
      if (violations.length > 0) continue;
      if (kind === "Config" && !configFileNames.includes(file)) {
        errors.push({
          ...at("/kind"),
          rule: "invalid",
          message: `a Config document must be in ${configFileNames[0]} at the repository root, not in ${file}`,
          hint: `move it to ${configFileNames[0]}`,
        });
        continue;
      }
      const doc0 = value as ResourceByKind[ResourceKind];
      const metadata = (doc0 as { metadata?: { name?: string; namespace?: string } }).metadata;
      const name = metadata?.name ?? "";
      const resource = {
        kind,
        name,
        document: doc0,
        location: { file, ...nodePosition(doc.contents, lineCounter) },
      } as Omit<LoadedResource, "namespace">;
      if (kind === "Config") {
        if (config !== undefined) {
          errors.push({
            ...at(""),
            rule: "duplicate",
            message: "more than one Config document in weir.yaml",
          });
          continue;
        }
        config = doc0 as Config;
      }
      located.push({ resource, parsed, ...(metadata?.namespace ? { ns: metadata.namespace } : {}) });
    }
  }

  const defaultNamespace = config?.spec?.defaultNamespace ?? fallbackNamespace;
  const resources: LoadedResource[] = [];
  // Keyed by the location object, which copies of a resource (with schemaFile set) share.
  const docOf = new Map<SourceLocation, ParsedDoc>();
  for (const { resource, parsed, ns } of located) {
    const full = { ...resource, namespace: ns ?? defaultNamespace } as LoadedResource;
    resources.push(full);
    docOf.set(full.location, parsed);
  }

  const locate = (r: LoadedResource, pointer: string): SourceLocation & { pointer: string } => {
    const p = docOf.get(r.location)!;
    return { file: p.file, ...pointerPosition(p.doc.contents, pointer, p.lineCounter), pointer };
  };

  const valid = checkDuplicates(resources, locate, errors).map((r) =>
    r.kind === "AccessPolicy"
      ? {
          ...r,
          ruleLocations: r.document.spec.rules.map((_, i) => {
            const { file, line, column } = locate(r, `/spec/rules/${i}`);
            return { file, line, column };
          }),
        }
      : r,
  );
  const files = await readSchemaFiles(source, valid, locate, errors);
  checkReferences(valid, locate, errors);
  checkPolicies(
    valid,
    { at: locate, parsed: (r) => ({ ...docOf.get(r.location)!, doc: docOf.get(r.location)!.doc.contents }) },
    errors,
  );

  return {
    source: {
      type: source.type,
      description: source.description,
      ...(source.commit ? { commit: source.commit } : {}),
    },
    ...(config ? { config } : {}),
    defaultNamespace,
    resources: valid,
    files,
    errors: errors.sort(compareConfigErrors),
  };
}

/** A file the source refused to read, located where the refusal points. */
function readProblemError(
  file: string,
  problem: NonNullable<ReturnType<typeof configReadProblem>>,
): ConfigError {
  return {
    file,
    line: problem.line,
    column: problem.column,
    rule: problem.rule,
    message: problem.message,
    hint: readProblemHint(problem.rule),
  };
}

function readProblemHint(rule: "outside-root" | "encoding"): string {
  return rule === "outside-root"
    ? "config files must be inside the config directory; copy the file in, or point the link inside"
    : "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8); nothing of this source is applied until it is";
}

type Locate = (r: LoadedResource, pointer: string) => SourceLocation & { pointer: string };

/**
 * Broker-side names are flat (topic names, registry subjects), so one kind + name in two namespaces is a
 * duplicate too. Both places are named; the first declaration is kept.
 */
function checkDuplicates(
  resources: LoadedResource[],
  locate: Locate,
  errors: ConfigError[],
): LoadedResource[] {
  const seen = new Map<string, LoadedResource>();
  const out: LoadedResource[] = [];
  for (const r of resources) {
    if (r.kind === "Config") {
      out.push(r);
      continue;
    }
    const key = `${r.kind}/${r.name}`;
    const first = seen.get(key);
    if (first) {
      const firstAt = locate(first, "/metadata/name");
      errors.push({
        ...locate(r, "/metadata/name"),
        rule: "duplicate",
        message: `${r.kind} "${r.name}" is declared twice: here (namespace ${r.namespace}) and at ${firstAt.file}:${firstAt.line}:${firstAt.column} (namespace ${first.namespace})`,
        hint: `${r.kind} names are global across namespaces (they are broker-side names); rename or remove one`,
        related: [{ file: firstAt.file, line: firstAt.line, column: firstAt.column }],
      });
      continue;
    }
    seen.set(key, r);
    out.push(r);
  }
  return out;
}

/** Resolves each Schema's spec.file against its YAML file and reads it from the same source. */
async function readSchemaFiles(
  source: ConfigSource,
  resources: LoadedResource[],
  locate: Locate,
  errors: ConfigError[],
): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]!;
    if (r.kind !== "Schema") continue;
    const declared = r.document.spec.file;
    const path = posix.normalize(posix.join(posix.dirname(r.location.file), declared));
    if (path.startsWith("../") || path === "..") {
      errors.push({
        ...locate(r, "/spec/file"),
        rule: "missing-file",
        message: `Schema "${r.name}": spec.file "${declared}" leaves the repository (resolves to ${path})`,
        hint: "schema files must be inside the config repository; paths are relative to the YAML file",
      });
      continue;
    }
    let text: string | undefined;
    try {
      text = files.get(path) ?? (await source.readFile(path));
    } catch (error) {
      const problem = configReadProblem(error);
      if (!problem) throw error;
      errors.push({
        ...locate(r, "/spec/file"),
        rule: problem.rule,
        message: `Schema "${r.name}": spec.file "${declared}": ${problem.message}`,
        hint: readProblemHint(problem.rule),
        related: [{ file: path, line: problem.line, column: problem.column }],
      });
      continue;
    }
    if (text === undefined) {
      errors.push({
        ...locate(r, "/spec/file"),
        rule: "missing-file",
        message: `Schema "${r.name}": spec.file "${declared}" does not exist (looked for ${path} in ${source.description})`,
        hint: `paths are relative to the YAML file that declares the Schema (${r.location.file}); ${source.type === "git" ? "is the file committed?" : "check the spelling"}`,
      });
      continue;
    }
    files.set(path, text);
    resources[i] = { ...r, schemaFile: path };
  }
  return files;
}

/** References between resources must name resources in the repository (dead-letter topics may be implicit). */
function checkReferences(resources: LoadedResource[], locate: Locate, errors: ConfigError[]): void {
  const names = new Map<ResourceKind, Map<string, LoadedResource>>();
  for (const r of resources) {
    let m = names.get(r.kind);
    if (!m) names.set(r.kind, (m = new Map<string, LoadedResource>()));
    m.set(r.name, r);
  }
  const expect = (
    from: LoadedResource,
    pointer: string,
    kind: ResourceKind,
    name: string,
    hint = `declare a ${kind} named "${name}", or fix the name`,
  ): LoadedResource | undefined => {
    const target = names.get(kind)?.get(name);
    if (!target) {
      const known = [...(names.get(kind)?.keys() ?? [])].slice(0, 10);
      errors.push({
        ...locate(from, pointer),
        rule: "dangling-reference",
        message: `${from.kind} "${from.name}" refers to ${kind} "${name}", which is not declared in the repository`,
        hint: `${hint}${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`,
      });
    }
    return target;
  };
  const isProtobuf = (r: LoadedResource | undefined): boolean =>
    r?.kind === "Schema" && r.document.spec.format === "protobuf";

  for (const r of resources) {
    switch (r.kind) {
      case "Topic": {
        const s = r.document.spec.schema;
        for (const part of ["value", "key"] as const) {
          const name = s?.[part];
          if (name === undefined) continue;
          const target = expect(r, `/spec/schema/${part}`, "Schema", name);
          const message = s?.[`${part}Message`];
          if (target && message !== undefined && !isProtobuf(target)) {
            errors.push({
              ...locate(r, `/spec/schema/${part}Message`),
              rule: "invalid",
              message: `Topic "${r.name}": spec.schema.${part}Message is for Protobuf schemas, but Schema "${name}" is ${target.kind === "Schema" ? target.document.spec.format : "not a schema"}`,
              hint: `remove ${part}Message`,
            });
          }
        }
        for (const part of ["value", "key"] as const) {
          if (s?.[`${part}Message`] !== undefined && s[part] === undefined) {
            errors.push({
              ...locate(r, `/spec/schema/${part}Message`),
              rule: "invalid",
              message: `Topic "${r.name}": spec.schema.${part}Message is set but spec.schema.${part} names no Schema`,
              hint: `add spec.schema.${part}: <Schema name>`,
            });
          }
        }
        break;
      }
      case "Schema": {
        r.document.spec.references?.forEach((ref, i) => {
          expect(r, `/spec/references/${i}/schema`, "Schema", ref.schema);
          if (ref.schema === r.name) {
            errors.push({
              ...locate(r, `/spec/references/${i}/schema`),
              rule: "invalid",
              message: `Schema "${r.name}" refers to itself`,
            });
          }
        });
        if (r.document.spec.messageType !== undefined && r.document.spec.format !== "protobuf") {
          errors.push({
            ...locate(r, "/spec/messageType"),
            rule: "invalid",
            message: `Schema "${r.name}": spec.messageType is for Protobuf schemas, but the format is ${r.document.spec.format}`,
            hint: "remove messageType",
          });
        }
        break;
      }
      case "AccessPolicy":
      case "Quota":
        r.document.spec.principals.forEach((p, i) => {
          expect(r, `/spec/principals/${i}`, "Principal", p);
        });
        break;
      case "RoutePolicy":
        expect(r, "/spec/from", "Topic", r.document.spec.from);
        r.document.spec.to.forEach((t, i) => {
          expect(r, `/spec/to/${i}/topic`, "Topic", t.topic);
        });
        break;
      case "PolicyTest":
        r.document.spec.access?.forEach((c, i) => {
          expect(r, `/spec/access/${i}/principal`, "Principal", c.principal);
        });
        r.document.spec.routes?.forEach((c, i) => {
          expect(r, `/spec/routes/${i}/from`, "Topic", c.from);
          c.expect.forEach((topic, j) => expect(r, `/spec/routes/${i}/expect/${j}`, "Topic", topic));
        });
        break;
      case "Config":
      case "Principal":
        break;
    }
  }
}
