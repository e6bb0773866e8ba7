import type { RegistryStorage } from "./registry-types.js";

/**
 * A {@link RegistryStorage} in memory, for tests and offline tools (`weir schema check` against a
 * registry built on the fly). Values are deep-copied in and out through JSON, as a durable store would,
 * so callers can never mutate stored state by accident. Nothing survives the process.
 *
 * @example
 * const registry = createSchemaRegistry({ storage: createMemoryRegistryStorage() });
 */
export function createMemoryRegistryStorage(): RegistryStorage {
  const entries = new Map<string, string>();
  const copy = <T>(text: string | undefined): T | undefined =>
    text === undefined ? undefined : (JSON.parse(text) as T);
  return {
    async get<T>(key: string): Promise<T | undefined> {
      await Promise.resolve();
      return copy<T>(entries.get(key));
    },
    async batch(ops): Promise<void> {
      await Promise.resolve();
      // serialize every value before applying any, so a value that cannot be stored fails the whole batch
      const staged = ops.map((op) => {
        if (op.type === "delete") return { key: op.key, text: undefined };
        const text = JSON.stringify(op.value) as string | undefined;
        if (text === undefined) {
          throw new TypeError(`value of "${op.key}" is not JSON; use a delete op to remove a key`);
        }
        return { key: op.key, text };
      });
      for (const { key, text } of staged) {
        if (text === undefined) entries.delete(key);
        else entries.set(key, text);
      }
    },
    async list<T>(prefix: string): Promise<Array<[key: string, value: T]>> {
      await Promise.resolve();
      const out: Array<[string, T]> = [];
      for (const [key, text] of entries) {
        if (key.startsWith(prefix)) out.push([key, JSON.parse(text) as T]);
      }
      // ascending by UTF-16 code units; the keys the registry writes are ASCII, where that is byte order
      out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return out;
    },
  };
}
