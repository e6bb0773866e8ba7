/**
 * The embedded engine's {@link MetadataStore}, on LMDB (the `lmdb` package): a crash-safe,
 * copy-on-write B-tree in one memory-mapped file. Writes are queued to LMDB's writer thread, which
 * commits everything queued in the same event turn as one transaction; each promise here resolves
 * only after its transaction is committed *and* flushed to disk (`db.flushed`), so a resolved write
 * survives a machine crash.
 *
 * Note: lmdb's async `transaction()` callbacks hung in this environment (lmdb 3.5 on Node 20), so
 * atomic batches use `db.batch()`, which applies its callback's writes as one unit of one commit.
 */
import { open, type RootDatabase } from "lmdb";
import { WeirError } from "@weir/common";
import type { MetadataOp, MetadataStore } from "./log-engine.js";
import { storageError } from "./embedded/file-io.js";

/** Options for {@link openLmdbMetadataStore}. */
export interface LmdbMetadataStoreOptions {
  /** The database directory (LMDB keeps `data.mdb` and `lock.mdb` in it); created when missing. */
  path: string;
}

/** LMDB's default key size limit (bytes of the encoded key). */
const MAX_KEY_BYTES = 1978;

/** Opens (creating when missing) the LMDB metadata store at `options.path`. */
export async function openLmdbMetadataStore(options: LmdbMetadataStoreOptions): Promise<MetadataStore> {
  let db: RootDatabase<unknown, string>;
  try {
    db = open<unknown, string>({ path: options.path, encoding: "json", keyEncoding: "ordered-binary" });
  } catch (err) {
    throw storageError("open metadata store", options.path, err);
  }
  return new LmdbMetadataStore(db, options.path);
}

class LmdbMetadataStore implements MetadataStore {
  private closed = false;

  constructor(
    private readonly db: RootDatabase<unknown, string>,
    private readonly path: string,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    this.check(key);
    return this.db.get(key) as T | undefined;
  }

  async put(key: string, value: unknown): Promise<void> {
    this.check(key);
    checkValue(key, value);
    await this.durably(() => this.db.put(key, value));
  }

  async delete(key: string): Promise<void> {
    this.check(key);
    await this.durably(() => this.db.remove(key));
  }

  async batch(ops: MetadataOp[]): Promise<void> {
    for (const op of ops) {
      this.check(op.key);
      if (op.type === "put") checkValue(op.key, op.value);
    }
    if (ops.length === 0) return;
    await this.durably(() =>
      this.db.batch(() => {
        for (const op of ops) {
          if (op.type === "put") void this.db.put(op.key, op.value);
          else void this.db.remove(op.key);
        }
      }),
    );
  }

  async list<T>(prefix: string): Promise<Array<[key: string, value: T]>> {
    this.check(prefix, true);
    const out: Array<[string, T]> = [];
    for (const { key, value } of this.db.getRange({ start: prefix })) {
      if (typeof key !== "string" || !key.startsWith(prefix)) break;
      out.push([key, value as T]);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.flushed;
    await this.db.close();
  }

  private async durably(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
      await this.db.flushed;
    } catch (err) {
      throw storageError("write metadata", this.path, err);
    }
  }

  private check(key: string, allowEmpty = false): void {
    if (this.closed)
      throw new WeirError(
        "UNAVAILABLE",
        `metadata store ${this.path} is closed; the broker is shutting down`,
      );
    if (typeof key !== "string" || (!allowEmpty && key === "")) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `metadata key ${JSON.stringify(key)} must be a non-empty string`,
      );
    }
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new WeirError(
        "INVALID_ARGUMENT",
        `metadata key "${key.slice(0, 60)}..." is longer than ${MAX_KEY_BYTES} bytes`,
      );
    }
  }
}

function checkValue(key: string, value: unknown): void {
  if (value === undefined) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `metadata value for "${key}" is undefined; use delete() to remove a key`,
    );
  }
}
