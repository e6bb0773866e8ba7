/**
 * Thin promise wrappers over the callback `fs` API on raw file descriptors. The engine's hot path
 * (pwritev + fdatasync per group commit, pread per read) goes through these instead of
 * `fs.promises.FileHandle`, which allocates more per call. Every failure becomes a
 * `STORAGE_ERROR` that names the file, so an operator knows which disk or file to look at.
 */
import fs from "node:fs";
import path from "node:path";
import { WeirError } from "@weir/common";

/** Wraps an I/O failure in a STORAGE_ERROR naming the operation and the file. */
export function storageError(op: string, file: string, cause: unknown): WeirError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WeirError(
    "STORAGE_ERROR",
    `storage: ${op} failed on ${file}: ${reason}; check that the disk is present, writable and not full`,
    { cause, details: { file, op } },
  );
}

/** Writes all of `buffers` at `position`, retrying short writes. */
export function pwritevAll(fd: number, buffers: Buffer[], position: number, file: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let pos = position;
    let bufs = buffers;
    let remaining = 0;
    for (const b of bufs) remaining += b.length;
    const step = (): void => {
      fs.writev(fd, bufs, pos, (err, written) => {
        if (err) return reject(storageError("write", file, err));
        remaining -= written;
        pos += written;
        if (remaining <= 0) return resolve();
        // A short write: drop what went out and continue with the rest.
        let skip = written;
        const rest: Buffer[] = [];
        for (const b of bufs) {
          if (skip >= b.length) {
            skip -= b.length;
            continue;
          }
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
        bufs = rest;
        step();
      });
    };
    step();
  });
}

/** `fdatasync(2)`: flushes the file's data and the metadata needed to read it (its size). */
export function fdatasync(fd: number, file: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fs.fdatasync(fd, (err) => (err ? reject(storageError("fdatasync", file, err)) : resolve()));
  });
}

/** Reads exactly `length` bytes at `position` into a new buffer (fewer only at end of file). */
export function preadExact(fd: number, length: number, position: number, file: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  return new Promise<Buffer>((resolve, reject) => {
    let done = 0;
    const step = (): void => {
      fs.read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(storageError("read", file, err));
        done += n;
        if (n === 0 || done >= length) return resolve(done === length ? buf : buf.subarray(0, done));
        step();
      });
    };
    step();
  });
}

/** Opens a file; `flags` as for `fs.open`. */
export function openFile(file: string, flags: string | number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    fs.open(file, flags, 0o644, (err, fd) => (err ? reject(storageError("open", file, err)) : resolve(fd)));
  });
}

/** Closes a descriptor; errors are reported, not thrown, since there is nothing left to do with them. */
export function closeFile(fd: number): Promise<void> {
  return new Promise<void>((resolve) => {
    fs.close(fd, () => resolve());
  });
}

/** Truncates a file to `length` bytes and flushes the new size. */
export async function truncateFile(fd: number, length: number, file: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    fs.ftruncate(fd, length, (err) => (err ? reject(storageError("truncate", file, err)) : resolve()));
  });
  await fdatasync(fd, file);
}

/** The size of an open file. */
export function fileSize(fd: number, file: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    fs.fstat(fd, (err, st) => (err ? reject(storageError("stat", file, err)) : resolve(st.size)));
  });
}

/**
 * fsyncs a directory so that entries created, renamed or removed in it survive a machine crash
 * (a new file's data being on disk is useless if its directory entry is not).
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = await openFile(dir, "r");
    await new Promise<void>((resolve, reject) => {
      fs.fsync(fd!, (err) => (err ? reject(storageError("fsync", dir, err)) : resolve()));
    });
  } finally {
    if (fd !== undefined) await closeFile(fd);
  }
}

/**
 * Replaces `file` with `data` so that a crash leaves either the old or the new content, never a mix:
 * write a temporary file, fsync it, rename it over the target, fsync the directory.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  try {
    const fd = await openFile(tmp, "w");
    try {
      await pwritevAll(fd, [typeof data === "string" ? Buffer.from(data) : data], 0, tmp);
      await fdatasync(fd, tmp);
    } finally {
      await closeFile(fd);
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    throw err instanceof WeirError ? err : storageError("replace", file, err);
  }
  await fsyncDir(path.dirname(file));
}

/** Creates a directory (and parents), wrapping failures. */
export async function makeDir(dir: string): Promise<void> {
  try {
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (err) {
    throw storageError("mkdir", dir, err);
  }
}
