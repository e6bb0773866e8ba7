import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { commitAll, git, tempDir, weir } from "./schema-cli.js";

// `weir policy dry-run` on a committed copy of examples/config, edited in the working tree and compared
// with HEAD by the real CLI, as a reviewer or CI would run it on a pull request.

const exampleDir = fileURLToPath(new URL("../../examples/config/", import.meta.url));

async function exampleRepo(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t);
  await cp(exampleDir, dir, { recursive: true });
  git(dir, "init", "-q", "-b", "main");
  commitAll(dir, "the example config");
  return dir;
}

async function edit(dir: string, path: string, change: (text: string) => string): Promise<void> {
  const file = join(dir, path);
  const before = await readFile(file, "utf8");
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${path} changed nothing`);
  await writeFile(file, after);
}

/** checkout may now read the inventory namespace's topics too. */
const widenCheckout = (s: string) =>
  s.replace(
    'topics: [orders.shipped, "payments/payments.*"]',
    'topics: [orders.shipped, "payments/payments.*", "inventory/inventory.>"]',
  );
/** checkout's consumer groups narrowed from checkout.> to checkout.web. */
const narrowGroups = (s: string) => s.replace('- groups: ["checkout.>"]', '- groups: ["checkout.web"]');

interface DryRunJson {
  changed: boolean;
  baseline: { ref: string; commit: string };
  access: Array<{
    principal: string;
    change: string;
    action: string;
    resource: { kind: string; name: string; namespace?: string };
    before: string;
    after: string;
    rule?: { side: string; file?: string; line?: number; policy: string; number: number };
  }>;
  routes?: {
    samples: number;
    changes: Array<{ line: number; topic: string; before: string[]; after: string[]; added: string[] }>;
  };
  quotas: Array<{
    principal: string;
    topics: string | null;
    direction: string;
    unit: string;
    change: string;
    before?: { rate: number; burst: number; quota: string; file?: string; line?: number };
    after?: { rate: number; burst: number; quota: string; file?: string; line?: number };
  }>;
  decisions?: {
    records: number;
    calls: number;
    wouldDeny: number;
    wouldAllow: number;
    changes: Array<{
      change: string;
      summary: string;
      reason: string;
      line: number;
      rule?: { side: string };
    }>;
  };
}

async function dryRunJson(
  dir: string,
  ...extra: string[]
): Promise<{ code: number | null; report: DryRunJson }> {
  const run = await weir(["--output", "json", "policy", "dry-run", "--against", "HEAD", ...extra], dir);
  assert.ok(run.code === 0 || run.code === 2, run.stdout + run.stderr);
  return { code: run.code, report: JSON.parse(run.stdout) as DryRunJson };
}

void suite("weir policy dry-run", () => {
  void test("no change against HEAD exits 0 and says so", async (t) => {
    const dir = await exampleRepo(t);
    const run = await weir(["policy", "dry-run", "--against", "HEAD"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^Access: no change$/m);
    assert.match(run.stdout, /^no changes: 0 access changes/m);
  });

  void test("a widened rule lists each concrete topic gained, per principal, at the rule's file:line; exit 2", async (t) => {
    const dir = await exampleRepo(t);
    await edit(dir, "orders/access.yaml", widenCheckout);
    const run = await weir(["policy", "dry-run", "--against", "HEAD"], dir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /^Policy changes in \. against HEAD \([0-9a-f]{12}\)$/m);
    assert.match(run.stdout, /^ {2}checkout$/m);
    for (const topic of ["inventory.reserved", "inventory.released", "inventory.stock-changed"]) {
      assert.match(
        run.stdout,
        new RegExp(
          `^ {4}\\+ consume, describe on topic ${topic.replace(/\./g, "\\.")}: allowed by checkout-orders rule 2 \\(orders/access\\.yaml:14\\)$`,
          "m",
        ),
      );
    }
    assert.doesNotMatch(run.stdout, /^ {4}-/m);
    assert.match(run.stdout, /^changes: 6 access changes \(6 gained, 0 lost\) for 1 principal;/m);
  });

  void test("a narrowed group rule is a loss named by the baseline rule; --output github warns at the rule's line", async (t) => {
    const dir = await exampleRepo(t);
    await edit(dir, "orders/access.yaml", narrowGroups);
    const { code, report } = await dryRunJson(dir);
    assert.equal(code, 2);
    assert.deepEqual(
      report.access.map((c) => [
        c.principal,
        c.change,
        c.action,
        c.resource.kind,
        c.resource.name,
        c.rule?.side,
      ]),
      [["checkout", "lost", "consume", "group", "checkout.>", "baseline"]],
    );
    assert.equal(report.access[0]!.before, "allowed by checkout-orders rule 3 (HEAD:orders/access.yaml:16)");
    const run = await weir(["--output", "github", "policy", "dry-run", "--against", "HEAD"], dir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^::warning file=orders\/access\.yaml,line=16,title=checkout loses access::checkout loses consume on group checkout\.>: no longer allowed by checkout-orders rule 3 \(HEAD:orders\/access\.yaml:16\)$/m,
    );
  });

  void test("a new deny rule shows who loses what, located at the deny", async (t) => {
    const dir = await exampleRepo(t);
    await edit(dir, "platform/access.yaml", (s) =>
      s.replace(
        '      topics: ["*/*.*.dlq", "*/*.dlq"]\n      actions: [produce]\n',
        '      topics: ["*/*.*.dlq", "*/*.dlq"]\n      actions: [produce]\n    - effect: deny\n      topics: ["*/payments.captured"]\n      actions: [consume]\n',
      ),
    );
    const { code, report } = await dryRunJson(dir);
    assert.equal(code, 2);
    const text = await weir(["policy", "dry-run", "--against", "HEAD"], dir);
    // The deny breaks a case of platform/policy-tests.yaml (checkout reads payments.captured).
    assert.match(
      text.stderr,
      /^note: 1 PolicyTest case\(s\) fail in the working tree; run weir policy test/m,
    );
    const lost = report.access.map(
      (c) => `${c.principal} ${c.change} ${c.action} ${c.resource.name} ${c.rule?.file}:${c.rule?.line}`,
    );
    assert.ok(
      lost.includes("checkout lost consume payments.captured platform/access.yaml:54"),
      lost.join("\n"),
    );
    assert.ok(
      lost.includes("fulfilment lost consume payments.captured platform/access.yaml:54"),
      lost.join("\n"),
    );
    assert.ok(
      lost.includes("auditor lost consume payments.captured platform/access.yaml:54"),
      lost.join("\n"),
    );
    // The notifier never read payments.captured, so it loses nothing.
    assert.ok(!lost.some((l) => l.startsWith("notifier")), lost.join("\n"));
    assert.ok(
      report.access.every((c) => c.change === "lost" && c.action === "consume"),
      lost.join("\n"),
    );
  });

  void test("a tightened quota is reported with both limits and the changed line", async (t) => {
    const dir = await exampleRepo(t);
    await edit(dir, "platform/quotas.yaml", (s) =>
      s.replace(
        "produce: { messagesPerSecond: 2000, bytesPerSecond: 4MiB, burst: 2 }",
        "produce: { messagesPerSecond: 500, bytesPerSecond: 8MiB, burst: 2 }",
      ),
    );
    const { code, report } = await dryRunJson(dir);
    assert.equal(code, 2);
    assert.deepEqual(report.access, []);
    assert.deepEqual(
      report.quotas.map((q) => [
        q.principal,
        q.topics,
        q.direction,
        q.unit,
        q.change,
        q.before?.rate,
        q.after?.rate,
        q.after?.file,
        q.after?.line,
      ]),
      [
        [
          "checkout",
          "orders.*",
          "produce",
          "bytes",
          "loosened",
          4 * 1024 * 1024,
          8 * 1024 * 1024,
          "platform/quotas.yaml",
          10,
        ],
        ["checkout", "orders.*", "produce", "messages", "tightened", 2000, 500, "platform/quotas.yaml", 10],
      ],
    );
    const run = await weir(["policy", "dry-run", "--against", "HEAD"], dir);
    assert.match(
      run.stdout,
      /^ {2}tightened checkout produce on orders\.\*, messages\/s: 2000 messages\/s \(burst 2s\) → 500 messages\/s \(burst 2s\) \(Quota checkout-produce, platform\/quotas\.yaml:10\)$/m,
    );
  });

  void test("--sample routes each record through both configs and lists those routed differently", async (t) => {
    const dir = await exampleRepo(t);
    await edit(dir, "orders/routes.yaml", (s) =>
      s.replace(`when: 'value.region == "eu"'`, `when: 'value.region in ["eu", "uk"]'`),
    );
    await writeFile(
      join(dir, "traffic.jsonl"),
      [
        '{"topic":"orders.created","value":{"region":"eu"}}',
        "",
        '{"topic":"orders.created","value":{"region":"uk"},"key":"o1","headers":{"source":"web"}}',
        '{"topic":"orders.created","value":{"region":"us"}}',
      ].join("\n"),
    );
    const { code, report } = await dryRunJson(dir, "--sample", "traffic.jsonl");
    assert.equal(code, 2);
    assert.equal(report.routes?.samples, 3);
    assert.deepEqual(
      report.routes?.changes.map((c) => [c.line, c.topic, c.before, c.after, c.added]),
      [[3, "orders.created", [], ["orders.eu"], ["orders.eu"]]],
    );
    const run = await weir(["policy", "dry-run", "--against", "HEAD", "--sample", "traffic.jsonl"], dir);
    assert.match(
      run.stdout,
      /^ {2}sample line 3 \(orders\.created\): no topic → orders\.eu \(eu-orders orders\/routes\.yaml:8\)$/m,
    );
  });

  void test("--decisions replays logged decisions: would deny 1240 consume calls from checkout", async (t) => {
    const dir = await exampleRepo(t);
    await edit(dir, "orders/access.yaml", narrowGroups);
    const record = (over: Record<string, unknown>) =>
      JSON.stringify({
        principal: "checkout",
        namespace: "orders",
        action: "consume",
        resource: { kind: "group", name: "checkout.app" },
        allowed: true,
        count: 1240,
        firstMs: 1_733_468_400_000,
        lastMs: 1_733_472_000_000,
        ...over,
      });
    await writeFile(
      join(dir, "decisions.jsonl"),
      `${record({})}\n${record({ action: "produce", resource: { kind: "topic", name: "orders.created", namespace: "orders" }, count: 5000 })}\n`,
    );
    const { code, report } = await dryRunJson(dir, "--decisions", "decisions.jsonl");
    assert.equal(code, 2);
    assert.deepEqual(
      [
        report.decisions?.records,
        report.decisions?.calls,
        report.decisions?.wouldDeny,
        report.decisions?.wouldAllow,
      ],
      [2, 6240, 1240, 0],
    );
    assert.deepEqual(
      report.decisions?.changes.map((c) => [c.change, c.summary, c.line, c.rule?.side]),
      [["would-deny", "would deny 1240 consume calls from checkout on group checkout.app", 1, "baseline"]],
    );
    const run = await weir(["policy", "dry-run", "--against", "HEAD", "--decisions", "decisions.jsonl"], dir);
    assert.match(
      run.stdout,
      /^ {2}would deny 1240 consume calls from checkout on group checkout\.app: no rule allows consume on group checkout\.app$/m,
    );
  });

  void test("a bad sample line, a missing --against or a working tree that does not load exit 1, located", async (t) => {
    const dir = await exampleRepo(t);
    await writeFile(join(dir, "bad.jsonl"), '{"topic":"orders.created"}\n{"value":1}\n');
    let run = await weir(["policy", "dry-run", "--against", "HEAD", "--sample", "bad.jsonl"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /^error \[INVALID_ARGUMENT\]: bad\.jsonl:2: topic must be a non-empty string$/m);
    run = await weir(["policy", "dry-run"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /needs --against <git-ref>/);
    run = await weir(["policy", "dry-run", "--against", "no-such-branch"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /no-such-branch/);
    await edit(dir, "orders/access.yaml", (s) =>
      s.replace('- groups: ["checkout.>"]', '- groups: ["checkout>"]'),
    );
    run = await weir(["policy", "dry-run", "--against", "HEAD"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^orders\/access\.yaml:16:\d+: .*checkout>/m);
  });
});
