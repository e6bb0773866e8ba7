/**
 * Wakes every waiter at once when something may have changed (records appended, a redelivery became
 * due, a rebalance). Waiters re-check their own condition; this only replaces polling with events.
 */
export class Notifier {
  #waiters = new Set<() => void>();

  /** How many waits are pending. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Wakes every pending wait. */
  notify(): void {
    if (this.#waiters.size === 0) return;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next {@link notify}, when `signal` aborts, or after `timeoutMs`; never rejects. */
  wait(signal?: AbortSignal, timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(done, Math.max(0, timeoutMs));
    });
  }
}

/** Runs async sections one at a time, in call order. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Runs `fn` once every section started before it has finished. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
