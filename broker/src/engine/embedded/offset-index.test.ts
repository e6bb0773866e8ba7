import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { OffsetIndex } from "./offset-index.js";
import { segmentsToDelete } from "./retention.js";

void suite("offset index", () => {
  // Batches at positions 0, 100, 250, 400 starting at relative offsets 0, 5, 9, 20.
  const index = new OffsetIndex(2);
  index.add(0, 0, -Infinity);
  index.add(5, 100, 50);
  index.add(9, 250, 80);
  index.add(20, 400, 80);

  void test("finds the last indexed batch at or before an offset, never one after it", () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [4, 0],
      [5, 100],
      [8, 100],
      [9, 250],
      [19, 250],
      [20, 400],
      [1000, 400],
    ];
    for (const [offset, position] of cases)
      assert.equal(index.lookupOffset(offset), position, `offset ${offset}`);
  });

  void test("finds where to scan for a timestamp", () => {
    assert.equal(index.lookupTimestamp(60), 100, "everything before position 100 is at most 50");
    assert.equal(index.lookupTimestamp(50), 0, "a record at 50 may sit before position 100");
    assert.equal(index.lookupTimestamp(10), 0);
    assert.equal(index.lookupTimestamp(81), 400);
    assert.equal(new OffsetIndex().lookupTimestamp(5), 0);
  });

  void test("survives an encode/decode round trip and ignores a partial trailing entry", () => {
    const bytes = Buffer.concat([index.encode(0), Buffer.alloc(7)]);
    const back = OffsetIndex.decode(bytes);
    assert.equal(back.count, 4);
    assert.equal(back.persisted, 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(back.relativeOffsetAt(i), index.relativeOffsetAt(i));
      assert.equal(back.positionAt(i), index.positionAt(i));
      assert.equal(back.timestampBeforeAt(i), index.timestampBeforeAt(i));
    }
    back.truncate(2);
    assert.equal(back.lastPosition(), 100);
    assert.equal(back.lookupOffset(100), 100);
  });
});

void suite("retention policy", () => {
  const segs = [
    { size: 100, maxTimestamp: 1000 },
    { size: 100, maxTimestamp: 2000 },
    { size: 100, maxTimestamp: 3000 },
    { size: 10, maxTimestamp: 500 }, // active: always kept, even when old
  ];

  void test("by time deletes from the oldest while segments are expired", () => {
    assert.equal(segmentsToDelete(segs, { retentionMs: 1500, retentionBytes: 0 }, 3600), 2);
    assert.equal(segmentsToDelete(segs, { retentionMs: 1, retentionBytes: 0 }, 1_000_000), 3);
    assert.equal(segmentsToDelete(segs, { retentionMs: 0, retentionBytes: 0 }, 1_000_000), 0);
  });

  void test("by bytes keeps at least the limit", () => {
    assert.equal(segmentsToDelete(segs, { retentionMs: 0, retentionBytes: 210 }, 0), 1);
    assert.equal(segmentsToDelete(segs, { retentionMs: 0, retentionBytes: 110 }, 0), 2);
    assert.equal(segmentsToDelete(segs, { retentionMs: 0, retentionBytes: 1 }, 0), 3);
    assert.equal(segmentsToDelete(segs, { retentionMs: 0, retentionBytes: 10_000 }, 0), 0);
  });
});
