/** An item of a {@link DeadlineHeap}: it knows its due time and its own place in the heap. */
export interface HeapItem {
  /** When the item is due, in the coordinator clock's milliseconds. */
  dueAt: number;
  /** Its index in the heap, or -1 when it is not in one; maintained by the heap. */
  heapIndex: number;
}

/**
 * A binary min-heap by `dueAt` whose items know their index, so removing an item (an ack) or moving
 * its deadline (a nack) is O(log n) and the heap never holds stale entries: its size is exactly the
 * number of records waiting on a deadline, even at 100k deliveries a second.
 */
export class DeadlineHeap<T extends HeapItem> {
  readonly #items: T[] = [];

  /** Items in the heap. */
  get size(): number {
    return this.#items.length;
  }

  /** The item due first, without removing it. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds an item (or re-sorts it when it is already in the heap). */
  push(item: T): void {
    if (this.#contains(item)) {
      this.update(item);
      return;
    }
    item.heapIndex = this.#items.length;
    this.#items.push(item);
    this.#up(item.heapIndex);
  }

  /** Removes and returns the item due first. */
  pop(): T | undefined {
    const top = this.#items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Removes an item; false when it was not in the heap. */
  remove(item: T): boolean {
    if (!this.#contains(item)) return false;
    const i = item.heapIndex;
    const last = this.#items.pop()!;
    item.heapIndex = -1;
    if (i < this.#items.length) {
      this.#items[i] = last;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
    return true;
  }

  /** Restores order after `item.dueAt` changed; adds it when it is not in the heap. */
  update(item: T): void {
    if (!this.#contains(item)) {
      this.push(item);
      return;
    }
    this.#down(item.heapIndex);
    this.#up(item.heapIndex);
  }

  /** Empties the heap. */
  clear(): void {
    for (const item of this.#items) item.heapIndex = -1;
    this.#items.length = 0;
  }

  #contains(item: T): boolean {
    return item.heapIndex >= 0 && this.#items[item.heapIndex] === item;
  }

  #up(start: number): void {
    const items = this.#items;
    let i = start;
    const item = items[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = items[parentIndex]!;
      if (parent.dueAt <= item.dueAt) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  #down(start: number): void {
    const items = this.#items;
    const n = items.length;
    let i = start;
    const item = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && items[right]!.dueAt < items[left]!.dueAt ? right : left;
      const c = items[child]!;
      if (c.dueAt >= item.dueAt) break;
      items[i] = c;
      c.heapIndex = i;
      i = child;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
