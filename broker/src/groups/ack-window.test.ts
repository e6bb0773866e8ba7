import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { AckWindow } from "./ack-window.js";

void suite("AckWindow", () => {
  void test("the floor moves past contiguous done offsets only", () => {
    const w = new AckWindow(10);
    assert.equal(w.add(12), true);
    assert.equal(w.add(11), true);
    assert.equal(w.floor, 10);
    assert.equal(w.doneAboveFloor, 2);
    w.add(10);
    assert.equal(w.floor, 13);
    assert.equal(w.doneAboveFloor, 0);
    assert.equal(w.add(5), false, "below the floor is already done");
    assert.equal(w.has(5), true);
    assert.equal(w.has(13), false);
  });

  void test("matches a Set model under random out-of-order marks, and survives encode/decode", () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const w = new AckWindow(1_000_000);
    const done = new Set<number>();
    let floor = 1_000_000;
    for (let i = 0; i < 50_000; i++) {
      const offset = floor + rand(300);
      w.add(offset);
      done.add(offset);
      while (done.has(floor)) floor++;
      assert.equal(w.floor, floor);
      if (i % 997 === 0) {
        const { base, bits } = w.encode();
        const copy = AckWindow.decode(w.floor, base, bits);
        assert.equal(copy.floor, w.floor);
        assert.equal(copy.doneAboveFloor, w.doneAboveFloor);
        for (let o = floor; o < floor + 300; o++) assert.equal(copy.has(o), done.has(o), `offset ${o}`);
      }
    }
    let above = 0;
    for (const o of done) if (o >= floor) above++;
    assert.equal(w.doneAboveFloor, above);
  });

  void test("clearFrom forgets marks at and above an offset; skipTo moves the floor forward", () => {
    const w = new AckWindow(0);
    for (const o of [1, 2, 3, 9, 17, 30]) w.add(o);
    w.clearFrom(3);
    assert.deepEqual(
      [1, 2, 3, 9, 17, 30].map((o) => w.has(o)),
      [true, true, false, false, false, false],
    );
    assert.equal(w.doneAboveFloor, 2);
    w.add(17);
    w.skipTo(17);
    assert.equal(w.floor, 18);
    assert.equal(w.doneAboveFloor, 0);
    w.skipTo(5_000_000);
    assert.equal(w.floor, 5_000_000);
    assert.deepEqual(w.encode(), { base: 5_000_000, bits: "" });
  });
});
