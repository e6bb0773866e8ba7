import { WeirError } from "@weir/common";
import type { LoadResult, LoadedResource } from "@weir/controller";
import type { CompatibilityMode } from "@weir/schema";
import { modeRule } from "@weir/schema/internal";
import type { SchemaText } from "./compare-json-schemas.js";

/** Formats a Schema resource can have. */
export type SchemaFileFormat = "jsonschema" | "protobuf";

/** The earlier version(s) of one schema: what the new file is checked against. */
export interface Baseline {
  readonly format: SchemaFileFormat;
  /** Oldest first; the last one is the latest. */
  readonly versions: readonly SchemaText[];
}

/** Where earlier versions come from: a git commit or a live registry. */
export interface BaselineSource {
  /** For messages: `HEAD (3f2a1c0)` or `http://broker:7080`. */
  readonly description: string;
  /** Names of schemas the baseline has, to report removed ones; undefined when it cannot list them. */
  readonly names?: ReadonlySet<string>;
  /** The earlier versions of a schema (the ones `mode` needs), or undefined when it is new. */
  versions(name: string, mode: CompatibilityMode): Promise<Baseline | undefined>;
}

/** The text of a Schema resource's file and of the files of the Schemas it references, from a load result. */
export function schemaTextOf(
  loaded: LoadResult,
  resource: LoadedResource<"Schema">,
  display: (configPath: string) => string,
): SchemaText | undefined {
  const file = resource.schemaFile;
  const text = file === undefined ? undefined : loaded.files.get(file);
  if (file === undefined || text === undefined) return undefined;
  const references: Array<{ name: string; file: string; text: string }> = [];
  for (const ref of resource.document.spec.references ?? []) {
    const target = loaded.resources.find((r) => r.kind === "Schema" && r.name === ref.schema);
    const refFile = target?.schemaFile;
    const refText = refFile === undefined ? undefined : loaded.files.get(refFile);
    if (refFile !== undefined && refText !== undefined) {
      references.push({ name: ref.name, file: display(refFile), text: refText });
    }
  }
  return { file: display(file), text, references };
}

/** A baseline from the config repository as of a git commit (loaded with the controller's git source). */
export function gitBaseline(
  loaded: LoadResult,
  ref: string,
  display: (configPath: string) => string,
): BaselineSource {
  const schemas = new Map<string, LoadedResource<"Schema">>();
  for (const r of loaded.resources) if (r.kind === "Schema") schemas.set(r.name, r);
  return {
    description: `${ref} (${(loaded.source.commit ?? "").slice(0, 12)})`,
    names: new Set(schemas.keys()),
    versions(name) {
      const r = schemas.get(name);
      const text = r && schemaTextOf(loaded, r, (p) => `${ref}:${display(p)}`);
      return Promise.resolve(r && text ? { format: r.document.spec.format, versions: [text] } : undefined);
    },
  };
}

interface RegistryVersion {
  subject: string;
  version: number;
  schema: string;
  schemaType?: string;
  references?: Array<{ name: string; subject: string; version: number }>;
}

/**
 * A baseline from a live registry (the broker's Confluent-compatible REST API under `/schema-registry`):
 * the subject's latest version, or every live version for `_TRANSITIVE` modes. A subject the registry
 * does not have (40401) is new.
 */
export function registryBaseline(brokerUrl: string): BaselineSource {
  const base = `${brokerUrl.replace(/\/+$/, "")}/schema-registry`;
  const cache = new Map<string, Promise<RegistryVersion>>();
  const get = async <T>(path: string): Promise<T | undefined> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { headers: { accept: "application/vnd.schemaregistry.v1+json" } });
    } catch (error) {
      throw new WeirError(
        "UNAVAILABLE",
        `cannot reach the registry at ${base}: ${error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)}; check --broker (the broker's HTTP address, e.g. http://127.0.0.1:7080)`,
      );
    }
    const body = (await res.json().catch(() => undefined)) as
      { error_code?: number; message?: string } | undefined;
    if (res.status === 404 && (body?.error_code === 40401 || body?.error_code === 40402)) return undefined;
    if (!res.ok) {
      throw new WeirError(
        "UNAVAILABLE",
        `registry request GET ${base}${path} failed with HTTP ${res.status}: ${body?.message ?? "no message"}`,
      );
    }
    return body as T;
  };
  const version = (subject: string, v: number): Promise<RegistryVersion> => {
    const key = `${subject}/${v}`;
    let p = cache.get(key);
    if (!p) {
      p = get<RegistryVersion>(`/subjects/${encodeURIComponent(subject)}/versions/${v}`).then((r) => {
        if (!r) throw new WeirError("SCHEMA_VERSION_NOT_FOUND", `registry has no version ${v} of ${subject}`);
        return r;
      });
      cache.set(key, p);
    }
    return p;
  };
  const toText = async (r: RegistryVersion): Promise<SchemaText> => ({
    file: `registry:${r.subject}/versions/${r.version}`,
    text: r.schema,
    version: r.version,
    references: await Promise.all(
      (r.references ?? []).map(async (ref) => {
        const target = await version(ref.subject, ref.version);
        return {
          name: ref.name,
          file: `registry:${ref.subject}/versions/${ref.version}`,
          text: target.schema,
        };
      }),
    ),
  });
  return {
    description: base,
    async versions(name, mode) {
      const list = await get<number[]>(`/subjects/${encodeURIComponent(name)}/versions`);
      if (!list || list.length === 0) return undefined;
      const sorted = [...list].sort((a, b) => a - b);
      const wanted = modeRule(mode).transitive ? sorted : sorted.slice(-1);
      const versions = await Promise.all(wanted.map((v) => version(name, v)));
      const type = versions.at(-1)?.schemaType ?? "JSON";
      return {
        format: type === "PROTOBUF" ? "protobuf" : "jsonschema",
        versions: await Promise.all(versions.map(toText)),
      };
    },
  };
}
