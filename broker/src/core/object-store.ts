/**
 * Stored objects: the control-plane resources the broker keeps but does not (yet) act on — Principal,
 * AccessPolicy, RoutePolicy, Quota — and controller state such as `weir.dev/SyncState`. They live in
 * the broker's {@link MetadataStore} under `objects/<kind>/<name>` and in memory (they are few and
 * small), and change only through changesets, so every write is versioned and checked.
 */
import { WeirError } from "@weir/common";
import type { MetadataOp, MetadataStore } from "../engine/log-engine.js";
import type { StoredObject } from "./changeset-types.js";

/** Key prefix of stored objects in the metadata store. */
export const objectKeyPrefix = "objects/";

/** Longest kind, name and namespace accepted (Kubernetes' limit for names). */
export const maxObjectNameLength = 253;

/** Largest spec accepted, as JSON text. */
export const maxObjectSpecBytes = 1024 * 1024;

/** Kinds: segments of letters, digits, ".", "_" and "-" joined by "/" (e.g. "weir.dev/SyncState"). */
const kindPattern = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
/** Names: no "/" (the key's last segment is the name, which keeps keys unambiguous), no spaces or controls. */
const namePattern = /^[^\s/\u0000-\u001f\u007f]+$/u;
const namespacePattern = /^[^\s\u0000-\u001f\u007f]*$/u;

/** The metadata key of an object. Kinds may contain "/" but names may not, so keys are unique. */
export function objectKey(kind: string, name: string): string {
  return `${objectKeyPrefix}${kind}/${name}`;
}

/** @throws WeirError INVALID_ARGUMENT saying what a valid kind looks like. */
export function assertObjectKind(kind: unknown, where: string): asserts kind is string {
  if (typeof kind !== "string" || kind.length > maxObjectNameLength || !kindPattern.test(kind)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: object kind ${JSON.stringify(kind)} is not valid; use up to ${maxObjectNameLength} letters, digits, ".", "_" or "-", in segments joined by "/" (e.g. "Principal" or "weir.dev/SyncState")`,
      { details: { field: "kind", value: String(kind) } },
    );
  }
}

/** @throws WeirError INVALID_ARGUMENT saying what a valid name looks like. */
export function assertObjectName(name: unknown, where: string): asserts name is string {
  if (typeof name !== "string" || name.length > maxObjectNameLength || !namePattern.test(name)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: object name ${JSON.stringify(name)} is not valid; use 1-${maxObjectNameLength} characters without "/", spaces or control characters (e.g. "checkout")`,
      { details: { field: "name", value: String(name) } },
    );
  }
}

/** @throws WeirError INVALID_ARGUMENT for a namespace that is too long or has spaces. */
export function assertObjectNamespace(namespace: unknown, where: string): asserts namespace is string {
  if (
    typeof namespace !== "string" ||
    namespace.length > maxObjectNameLength ||
    !namespacePattern.test(namespace)
  ) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: namespace ${JSON.stringify(namespace)} is not valid; use up to ${maxObjectNameLength} characters without spaces or control characters (empty is allowed)`,
      { details: { field: "namespace", value: String(namespace) } },
    );
  }
}

/**
 * A copy of `spec` as plain JSON (what will be stored and read back), checked to be JSON and at most
 * {@link maxObjectSpecBytes}.
 *
 * @throws WeirError INVALID_ARGUMENT when `spec` is not JSON (undefined, a function, a cycle, a BigInt)
 *   or too large.
 */
export function normalizeObjectSpec(spec: unknown, where: string): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(spec);
  } catch (error) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: spec cannot be written as JSON (${error instanceof Error ? error.message : String(error)}); give a JSON value`,
      { details: { field: "spec" }, cause: error },
    );
  }
  // JSON.stringify gives undefined for undefined, functions and symbols.
  if (typeof text !== "string") {
    throw new WeirError("INVALID_ARGUMENT", `${where}: spec is missing; give a JSON value (e.g. {})`, {
      details: { field: "spec" },
    });
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxObjectSpecBytes) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `${where}: spec is ${bytes} bytes of JSON, over the limit of ${maxObjectSpecBytes}; split the object or keep large data elsewhere`,
      { details: { field: "spec", size: bytes, limit: maxObjectSpecBytes } },
    );
  }
  return JSON.parse(text) as unknown;
}

/** One write to the object store; a changeset's writes are committed together. */
export type ObjectWrite =
  { type: "put"; object: StoredObject } | { type: "delete"; kind: string; name: string };

/**
 * The stored objects, loaded once at start and kept in memory; writes go to the metadata store first
 * (one atomic batch per changeset) and into memory only once durable.
 */
export class ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly listeners = new Set<(kinds: ReadonlySet<string>) => void>();

  private constructor(private readonly metadata: MetadataStore) {}

  /** Loads every stored object from `metadata`. */
  static async open(metadata: MetadataStore): Promise<ObjectStore> {
    const store = new ObjectStore(metadata);
    for (const [key, object] of await metadata.list<StoredObject>(objectKeyPrefix)) {
      store.objects.set(key, object);
    }
    return store;
  }

  /** Every object, or those of one kind, ordered by kind then name; copies the caller may keep. */
  list(kind?: string): StoredObject[] {
    const all = [...this.objects.values()].filter((o) => kind === undefined || o.kind === kind);
    all.sort((a, b) => compare(a.kind, b.kind) || compare(a.name, b.name));
    return all.map((o) => structuredClone(o));
  }

  /** A copy of one object, or undefined. */
  get(kind: string, name: string): StoredObject | undefined {
    const o = this.objects.get(objectKey(kind, name));
    return o && structuredClone(o);
  }

  /** The object's version; 0 when it does not exist. */
  version(kind: string, name: string): number {
    return this.objects.get(objectKey(kind, name))?.version ?? 0;
  }

  /** Writes every change in one atomic metadata batch, then updates memory. */
  async commit(writes: readonly ObjectWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const ops: MetadataOp[] = writes.map((w) =>
      w.type === "put"
        ? { type: "put", key: objectKey(w.object.kind, w.object.name), value: w.object }
        : { type: "delete", key: objectKey(w.kind, w.name) },
    );
    await this.metadata.batch(ops);
    for (const w of writes) {
      if (w.type === "put") this.objects.set(objectKey(w.object.kind, w.object.name), w.object);
      else this.objects.delete(objectKey(w.kind, w.name));
    }
    const kinds = new Set(writes.map((w) => (w.type === "put" ? w.object.kind : w.kind)));
    for (const listener of this.listeners) listener(kinds);
  }

  /**
   * Calls `listener` with the kinds written after every commit, once the writes are durable and in
   * memory (the policy engine rebuilds its compiled policies from it). Returns an unsubscribe function.
   */
  onCommit(listener: (kinds: ReadonlySet<string>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
