/**
 * A scratch copy of the schema registry for checking a changeset before anything is applied: it reads
 * the live registry's state through the metadata store and keeps its own writes in memory. Registering
 * a changeset's schemas in it, in order, runs exactly the checks the real registration will run —
 * compilation, references (also to subjects registered earlier in the same changeset), compatibility
 * under the subject's mode — and tells whether a topic's subject will have a version, without writing.
 */
import { createSchemaRegistry, type RegistryStorage, type SchemaRegistry } from "@weir/schema";

type StorageOp = Parameters<RegistryStorage["batch"]>[0][number];

/** A tombstone for a key the overlay deleted. */
const deleted = Symbol("deleted");

/** Storage that reads through to `base` and keeps every write in memory; `base` is never written. */
export function createOverlayStorage(base: RegistryStorage): RegistryStorage {
  const writes = new Map<string, unknown>();
  return {
    async get<T>(key: string): Promise<T | undefined> {
      if (writes.has(key)) {
        const v = writes.get(key);
        return v === deleted ? undefined : (structuredClone(v) as T);
      }
      return base.get<T>(key);
    },
    async batch(ops: StorageOp[]): Promise<void> {
      for (const op of ops) writes.set(op.key, op.type === "put" ? structuredClone(op.value) : deleted);
    },
    async list<T>(prefix: string): Promise<Array<[key: string, value: T]>> {
      const merged = new Map<string, T>();
      for (const [key, value] of await base.list<T>(prefix)) merged.set(key, value);
      for (const [key, value] of writes) {
        if (!key.startsWith(prefix)) continue;
        if (value === deleted) merged.delete(key);
        else merged.set(key, structuredClone(value) as T);
      }
      // The metadata store lists in byte order of the UTF-8 keys; keep that order.
      return [...merged].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    },
  };
}

/**
 * A registry over {@link createOverlayStorage} of the live registry's storage: same key prefix and the
 * live global default mode, so it decides exactly as the live registry would.
 */
export async function createRegistryOverlay(
  live: SchemaRegistry,
  storage: RegistryStorage,
  keyPrefix: string,
): Promise<SchemaRegistry> {
  const defaultMode = await live.getMode();
  return createSchemaRegistry({
    storage: createOverlayStorage(storage),
    keyPrefix,
    ...(defaultMode === undefined ? {} : { defaultMode }),
  });
}
