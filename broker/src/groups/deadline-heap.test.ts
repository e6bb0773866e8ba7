import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { DeadlineHeap, type HeapItem } from "./deadline-heap.js";

interface Item extends HeapItem {
  id: number;
}

void suite("DeadlineHeap", () => {
  void test("pops in due order under random pushes, removals and updates", () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const heap = new DeadlineHeap<Item>();
    const live = new Set<Item>();
    for (let i = 0; i < 20_000; i++) {
      const op = rand(10);
      if (op < 5 || live.size === 0) {
        const item: Item = { id: i, dueAt: rand(1000), heapIndex: -1 };
        heap.push(item);
        live.add(item);
      } else if (op < 7) {
        const item = [...live][rand(live.size)]!;
        assert.equal(heap.remove(item), true);
        assert.equal(heap.remove(item), false, "a removed item is not removed twice");
        live.delete(item);
      } else if (op < 9) {
        const item = [...live][rand(live.size)]!;
        item.dueAt = rand(1000);
        heap.update(item);
      } else {
        const min = Math.min(...[...live].map((x) => x.dueAt));
        const top = heap.pop()!;
        assert.equal(top.dueAt, min);
        live.delete(top);
      }
      assert.equal(heap.size, live.size);
    }
    let last = -1;
    for (let top = heap.pop(); top; top = heap.pop()) {
      assert.ok(top.dueAt >= last);
      last = top.dueAt;
    }
  });
});
