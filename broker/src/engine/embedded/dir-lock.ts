/**
 * One engine per data directory: within a process by a registry of open directories, across processes
 * by `engine.lock`, a file holding the owner's pid that is created atomically (a pid file written to a
 * temporary name, then hard-linked into place, which fails when the lock exists), so two brokers
 * starting at once cannot both take it. A lock whose owner is gone (a crashed or killed broker) is
 * stale and taken over.
 */
import fs from "node:fs";
import path from "node:path";
import { WeirError } from "@weir/common";
import { storageError } from "./file-io.js";

/** The lock file's name inside the data directory. */
export const lockFileName = "engine.lock";

const openDirs = new Set<string>();

/** Whether a process id is running (EPERM: it is, under another user). */
export type ProcessAlive = (pid: number) => boolean;

/**
 * Takes the lock on `dir` (an absolute path that exists) for this process.
 * @throws WeirError STORAGE_ERROR when another engine in this process, or a live process, holds it.
 */
export async function acquireDirLock(dir: string, alive: ProcessAlive = processAlive): Promise<void> {
  if (openDirs.has(dir)) {
    throw new WeirError(
      "STORAGE_ERROR",
      `storage: data directory ${dir} is already open in this process; close the other engine first`,
    );
  }
  // Reserved before the first await, so two opens in this process cannot interleave.
  openDirs.add(dir);
  const lockFile = path.join(dir, lockFileName);
  const temp = path.join(dir, `${lockFileName}.${process.pid}.${Math.random().toString(36).slice(2)}`);
  try {
    try {
      await fs.promises.writeFile(temp, `${process.pid}\n`, { flag: "wx" });
    } catch (err) {
      throw storageError("write", temp, err);
    }
    // A few rounds: each can only fail by losing a race with another starting process.
    for (let attempt = 0; ; attempt++) {
      try {
        await createLock(temp, lockFile);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) {
          throw storageError("create", lockFile, err);
        }
      }
      const holder = await readPid(lockFile);
      if (holder === undefined) continue; // released meanwhile
      if (holder.pid !== undefined && holder.pid !== process.pid && alive(holder.pid)) {
        throw new WeirError(
          "STORAGE_ERROR",
          `storage: data directory ${dir} is in use by process ${holder.pid}; stop it, choose another directory, ` +
            `or delete ${lockFile} if that process is not a Weir broker`,
          { details: { pid: holder.pid, file: lockFile } },
        );
      }
      // Stale: its owner is gone, it is garbled, or it names this process (a pid reused after a
      // restart, as in a container where the broker is always pid 1).
      await removeStale(lockFile, holder.text, alive);
    }
  } catch (err) {
    openDirs.delete(dir);
    throw err;
  } finally {
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * Creates `lockFile` holding `temp`'s text, failing with EEXIST when it exists. A hard link never shows
 * a half-written lock; on a filesystem without hard links, an exclusive create does.
 */
async function createLock(temp: string, lockFile: string): Promise<void> {
  try {
    await fs.promises.link(temp, lockFile);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
    await fs.promises.writeFile(lockFile, await fs.promises.readFile(temp), { flag: "wx" });
  }
}

/** Releases the lock taken by {@link acquireDirLock} (idempotent). */
export async function releaseDirLock(dir: string): Promise<void> {
  if (!openDirs.delete(dir)) return;
  await fs.promises.rm(path.join(dir, lockFileName), { force: true }).catch(() => undefined);
}

/** The lock's text and pid (undefined pid: not a pid), or undefined when there is no lock file. */
async function readPid(file: string): Promise<{ text: string; pid: number | undefined } | undefined> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw storageError("read", file, err);
  }
  const pid = Number(text.trim());
  return { text, pid: Number.isInteger(pid) && pid > 0 ? pid : undefined };
}

/**
 * Moves a stale lock aside. Two processes may find the same stale lock; the loser of that race could
 * move aside the winner's fresh lock, so what was moved is checked and put back when it is live.
 */
async function removeStale(lockFile: string, staleText: string, alive: ProcessAlive): Promise<void> {
  const aside = `${lockFile}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await fs.promises.rename(lockFile, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw storageError("rename", lockFile, err);
  }
  const moved = await readPid(aside);
  if (moved !== undefined && moved.text !== staleText && moved.pid !== undefined && alive(moved.pid)) {
    // Someone else's fresh lock: put it back (fails harmlessly if a third process took the name).
    await fs.promises.link(aside, lockFile).catch(() => undefined);
  }
  await fs.promises.rm(aside, { force: true }).catch(() => undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
