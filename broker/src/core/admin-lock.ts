/**
 * Serializes the broker's admin writes (create/alter/delete topic, changesets), so a changeset's
 * preconditions still hold when its ops are applied: nothing else changes topics or objects in between.
 */
export class AdminLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every write queued before it has settled; the next one waits for this one. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    // A failed write must not fail the ones queued behind it.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
