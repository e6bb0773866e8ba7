import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { createQuotaLimiter } from "./quota-limiter.js";

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

void suite("createQuotaLimiter", () => {
  void test("allows a burst of rate × burst, then refuses with the time until enough tokens refill", () => {
    const c = clock();
    const q = createQuotaLimiter(
      [{ name: "rate", principals: ["checkout"], produce: { messagesPerSecond: 10 } }],
      c,
    );
    for (let i = 0; i < 10; i++)
      assert.deepEqual(q.take("checkout", "orders.created", "produce", 1, 100), { ok: true });
    assert.deepEqual(q.take("checkout", "orders.created", "produce", 1, 100), {
      ok: false,
      retryAfterMs: 100,
      quota: "rate",
    });
    c.advance(99);
    assert.equal(q.take("checkout", "orders.created", "produce", 1, 100).ok, false);
    c.advance(1);
    assert.equal(q.take("checkout", "orders.created", "produce", 1, 100).ok, true);
  });

  void test("limits bytes per second too, with a burst in seconds of the rate", () => {
    const c = clock();
    const q = createQuotaLimiter(
      [{ name: "bytes", principals: ["p"], produce: { bytesPerSecond: 1000, burst: 2 } }],
      c,
    );
    assert.equal(q.take("p", "t", "produce", 1, 2000).ok, true);
    const r = q.take("p", "t", "produce", 1, 500);
    assert.deepEqual(r, { ok: false, retryAfterMs: 500, quota: "bytes" });
    c.advance(500);
    assert.equal(q.take("p", "t", "produce", 1, 500).ok, true);
  });

  void test("is all or nothing across buckets", () => {
    const c = clock();
    const q = createQuotaLimiter(
      [{ name: "both", principals: ["p"], produce: { messagesPerSecond: 100, bytesPerSecond: 10 } }],
      c,
    );
    assert.equal(q.take("p", "t", "produce", 1, 10).ok, true);
    assert.equal(q.take("p", "t", "produce", 1, 10).ok, false);
    c.advance(1000);
    // The refused take consumed no message tokens: 100 are available again, not 98.
    for (let i = 0; i < 10; i++) assert.equal(q.take("p", "t", "produce", 10, 1).ok, true, `take ${i}`);
  });

  void test("is keyed by principal (connections share), separate per direction and per principal", () => {
    const c = clock();
    const q = createQuotaLimiter(
      [
        {
          name: "r",
          principals: ["a", "b"],
          produce: { messagesPerSecond: 1 },
          consume: { messagesPerSecond: 1 },
        },
      ],
      c,
    );
    assert.equal(q.take("a", "t", "produce", 1, 0).ok, true);
    assert.equal(q.take("a", "t", "produce", 1, 0).ok, false, "a second connection of a shares a's bucket");
    assert.equal(q.take("a", "t", "consume", 1, 0).ok, true);
    assert.equal(q.take("b", "t", "produce", 1, 0).ok, true);
    assert.equal(q.take("c", "t", "produce", 1000, 0).ok, true, "no quota covers c");
  });

  void test("counts only the topics its patterns match", () => {
    const c = clock();
    const q = createQuotaLimiter(
      [{ name: "orders", principals: ["p"], topics: ["orders.*"], produce: { messagesPerSecond: 1 } }],
      c,
    );
    assert.equal(q.take("p", "orders.created", "produce", 1, 0).ok, true);
    assert.equal(
      q.take("p", "orders.shipped", "produce", 1, 0).ok,
      false,
      "the pattern's topics share one bucket",
    );
    assert.equal(q.take("p", "payments.captured", "produce", 1, 0).ok, true);
  });

  void test("an oversized request passes when the bucket is full, then the bucket owes it", () => {
    const c = clock();
    const q = createQuotaLimiter([{ name: "b", principals: ["p"], produce: { bytesPerSecond: 100 } }], c);
    assert.equal(q.take("p", "t", "produce", 1, 1000).ok, true);
    const r = q.take("p", "t", "produce", 1, 1);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.retryAfterMs, 9010);
  });
});
