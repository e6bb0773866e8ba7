/**
 * When a partition writes and fsyncs. Appends queue up in the partition; the scheduler starts one
 * flush at a time. While a flush (its write and fsync) runs, new appends keep queueing, and the next
 * flush takes them all at once: that is group commit — under load one fsync covers every append that
 * arrived during the previous one, with no timer in the way; when idle, an append is flushed on the
 * next turn of the event loop (or after `delayMs`, to gather more).
 */

/** Serializes a partition's flushes and starts them when appends are waiting. */
export class FlushScheduler {
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;

  /**
   * @param delayMs extra time to wait, from the first queued append of an idle partition, before
   *   flushing (0 = next event-loop turn).
   * @param flush writes and syncs everything queued; never rejects.
   * @param hasWork whether appends are queued.
   */
  constructor(
    private readonly delayMs: number,
    private readonly flush: () => Promise<void>,
    private readonly hasWork: () => boolean,
  ) {}

  /** Called after an append was queued. */
  request(): void {
    if (this.running !== undefined || this.timer !== undefined || this.immediate !== undefined) return;
    if (this.delayMs > 0) this.timer = setTimeout(this.start, this.delayMs);
    else this.immediate = setImmediate(this.start);
  }

  /** Resolves once no flush is running or scheduled (queued appends are flushed first). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.timer !== undefined || this.immediate !== undefined) {
        clearTimeout(this.timer);
        clearImmediate(this.immediate);
        this.start();
      }
      if (this.running === undefined) return;
      await this.running;
    }
  }

  private readonly start = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.running = this.flush().finally(() => {
      this.running = undefined;
      if (this.hasWork()) this.request();
    });
  };
}

/**
 * The `interval` durability mode's clock: every `intervalMs` it fsyncs the partitions that were
 * written since the last tick.
 */
export class IntervalSyncer<P extends { sync(): Promise<void> }> {
  private readonly dirty = new Set<P>();
  private readonly timer: NodeJS.Timeout;
  private ticking: Promise<void> | undefined;

  constructor(intervalMs: number, onError: (partition: P, error: unknown) => void) {
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.syncAll(onError).finally(() => (this.ticking = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Marks a partition as written and not yet synced. */
  markDirty(partition: P): void {
    this.dirty.add(partition);
  }

  /** Forgets a partition (it is closing and syncs itself). */
  forget(partition: P): void {
    this.dirty.delete(partition);
  }

  /** Stops the clock after a last sync round. */
  async stop(onError: (partition: P, error: unknown) => void): Promise<void> {
    clearInterval(this.timer);
    if (this.ticking) await this.ticking;
    await this.syncAll(onError);
  }

  private async syncAll(onError: (partition: P, error: unknown) => void): Promise<void> {
    const parts = [...this.dirty];
    this.dirty.clear();
    await Promise.all(
      parts.map(async (p) => {
        try {
          await p.sync();
        } catch (err) {
          onError(p, err);
        }
      }),
    );
  }
}
