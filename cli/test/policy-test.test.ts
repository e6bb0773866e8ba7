import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir, weir } from "./schema-cli.js";

// `weir policy test` on a copy of the shipped example repository, run as a real process the way CI runs it.

const exampleDir = fileURLToPath(new URL("../../examples/config/", import.meta.url));

async function exampleCopy(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const dir = await tempDir(t);
  await cp(exampleDir, dir, { recursive: true });
  return dir;
}

async function edit(dir: string, path: string, change: (text: string) => string): Promise<void> {
  const file = join(dir, path);
  const before = await readFile(file, "utf8");
  const after = change(before);
  assert.notEqual(after, before, `the edit of ${path} changed nothing`);
  await writeFile(file, after);
}

interface TestJson {
  passed: boolean;
  tests: number;
  cases: number;
  failed: number;
  results: Array<{
    test: string;
    case: string;
    index: number;
    passed: boolean;
    message: string;
    file: string;
    line: number;
    column: number;
  }>;
}

void suite("weir policy test", () => {
  void test("on examples/config every case passes, each listed with its file:line:col; exit 0", async (t) => {
    const dir = await exampleCopy(t);
    const run = await weir(["policy", "test"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^pass {2}platform\/policy-tests\.yaml:11:7 {2}shop-policies access\[0\]: checkout produce on topic orders\.created: allow \(allowed by checkout-orders rule 1 \(orders\/access\.yaml:11\)\)$/m,
    );
    assert.match(
      run.stdout,
      /^pass {2}platform\/policy-tests\.yaml:\d+:7 {2}shop-policies routes\[0\]: orders\.created → orders\.eu$/m,
    );
    assert.match(run.stdout, /^ok: 20 cases in 1 PolicyTest, 20 passed, 0 failed$/m);
  });

  void test("a policy change that breaks a case fails it at the case's line; exit 1", async (t) => {
    const dir = await exampleCopy(t);
    // checkout no longer reads payment outcomes: the test says it must.
    await edit(dir, "orders/access.yaml", (s) =>
      s.replace('topics: [orders.shipped, "payments/payments.*"]', "topics: [orders.shipped]"),
    );
    const run = await weir(["policy", "test", "--dir", "."], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^FAIL {2}platform\/policy-tests\.yaml:14:7 {2}shop-policies access\[2\]: expected allow for checkout consume on topic payments\.captured, got deny: no rule allows consume on topic payments\.captured$/m,
    );
    assert.match(run.stdout, /^FAILED: 20 cases in 1 PolicyTest, 19 passed, 1 failed$/m);
  });

  void test("--output json lists every case with its location and the verdict", async (t) => {
    const dir = await exampleCopy(t);
    await edit(dir, "platform/policy-tests.yaml", (s) =>
      s.replace(
        "{ principal: auditor, action: produce, topic: audit.events, expect: deny }",
        "{ principal: auditor, action: produce, topic: audit.events, expect: allow }",
      ),
    );
    const run = await weir(["--output", "json", "policy", "test"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as TestJson;
    assert.deepEqual([report.passed, report.tests, report.cases, report.failed], [false, 1, 20, 1]);
    const failed = report.results.filter((r) => !r.passed);
    assert.deepEqual(
      failed.map((r) => [r.test, r.case, r.index, r.file, r.column]),
      [["shop-policies", "access", 8, "platform/policy-tests.yaml", 7]],
    );
    assert.match(
      failed[0]!.message,
      /expected allow for auditor produce on topic audit\.events, got deny: denied by auditor-reads-everything rule 3 \(platform\/access\.yaml:\d+\)/,
    );
  });

  void test("--output github annotates the failing case's line", async (t) => {
    const dir = await exampleCopy(t);
    await edit(dir, "orders/routes.yaml", (s) =>
      s.replace(`when: 'value.region == "eu"'`, `when: 'value.region == "eu" || value.region == "uk"'`),
    );
    await edit(dir, "platform/policy-tests.yaml", (s) =>
      s.replace(
        "record: { value: { orderId: ord_1, region: us } }",
        "record: { value: { orderId: ord_1, region: uk } }",
      ),
    );
    const run = await weir(["--output", "github", "policy", "test"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^::error file=platform\/policy-tests\.yaml,line=41,col=7,title=policy test shop-policies routes\[1\]::expected a record on orders\.created to be routed to no topic, got orders\.eu$/m,
    );
    assert.doesNotMatch(run.stdout, /^pass/m);
  });

  void test("a config that does not load is an error naming file:line:col; exit 1", async (t) => {
    const dir = await exampleCopy(t);
    await edit(dir, "orders/routes.yaml", (s) =>
      s.replace(`when: 'value.region == "eu"'`, `when: 'value.region == '`),
    );
    const run = await weir(["policy", "test"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^orders\/routes\.yaml:\d+:\d+: .*RoutePolicy "eu-orders"/m);
    assert.match(
      run.stderr,
      /^error \[CONFIG_INVALID\]: the config repository in \. does not load \(1 problem\)$/m,
    );
  });

  void test("a repository without PolicyTests has nothing to run; exit 0", async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, "weir.yaml"), "apiVersion: weir/v1\nkind: Config\nspec: {}\n");
    const run = await weir(["policy", "test"], dir);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^no PolicyTest resources in the repository: nothing to run$/m);
  });
});
