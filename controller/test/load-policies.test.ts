import { suite, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { formatConfigError, loadConfigDirectory, type ConfigError } from "@weir/controller";
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir, writeFiles } from "@weir/testing";

const hash = "a".repeat(64);
const base: Record<string, string> = {
  "weir.yaml": "apiVersion: weir/v1\nkind: Config\nspec: { defaultNamespace: shop }\n",
  "topics.yaml": ["orders.created", "orders.eu", "orders.us", "orders.audit"]
    .map((n) => `apiVersion: weir/v1\nkind: Topic\nmetadata: { name: ${n} }\nspec: { partitions: 1 }\n`)
    .join("---\n"),
  "principals.yaml": `apiVersion: weir/v1
kind: Principal
metadata: { name: checkout }
spec: { tokenSha256: "${hash}" }
---
apiVersion: weir/v1
kind: Principal
metadata: { name: rotating }
spec:
  tokenSha256: ["${hash}", "${"b".repeat(64)}"]
---
apiVersion: weir/v1
kind: Principal
metadata: { name: billing }
spec: { certificateSubject: "CN=billing" }
`,
  "access.yaml": `apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: checkout-orders }
spec:
  principals: [checkout]
  rules:
    - topics: ["orders.*"]
      actions: [produce, describe]
    - effect: deny
      topics: [orders.audit]
      actions: [produce]
`,
};

async function load(t: TestContext, extra: Record<string, string>) {
  const dir = await tempDir(t);
  await writeFiles(dir, { ...base, ...extra });
  return loadConfigDirectory(dir);
}

function show(errors: readonly ConfigError[]): string {
  return errors.map(formatConfigError).join("\n");
}

void suite("loadConfig: policies", () => {
  void test("Principals with one token hash, two (rotation) or a certificate subject load", async (t) => {
    const r = await load(t, {});
    assert.deepEqual(r.errors, [], show(r.errors));
  });

  void test("a Principal needs exactly one of tokenSha256 and certificateSubject; at most two hashes", async (t) => {
    const r = await load(t, {
      "bad-principals.yaml": `apiVersion: weir/v1
kind: Principal
metadata: { name: both }
spec: { tokenSha256: "${hash}", certificateSubject: "CN=x" }
---
apiVersion: weir/v1
kind: Principal
metadata: { name: neither }
spec: { description: nothing }
---
apiVersion: weir/v1
kind: Principal
metadata: { name: three }
spec: { tokenSha256: ["${hash}", "${"b".repeat(64)}", "${"c".repeat(64)}"] }
`,
    });
    const files = r.errors.filter((e) => e.file === "bad-principals.yaml");
    assert.match(
      files[0]!.message,
      /gives "tokenSha256" and "certificateSubject"; exactly one of them is allowed/,
    );
    assert.match(files[1]!.message, /needs exactly one of "tokenSha256" or "certificateSubject"/);
    assert.deepEqual([...new Set(files.map((e) => e.line))], [4, 9, 14], show(r.errors));
  });

  void test("a RoutePolicy whose CEL does not parse is rejected at the file line and column inside when", async (t) => {
    const r = await load(t, {
      "routes.yaml": `apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: eu-orders }
spec:
  from: orders.created
  when: value.region == "eu" &&
  to: [{ topic: orders.eu }]
`,
    });
    const cel = r.errors.filter((e) => e.rule === "cel");
    assert.equal(cel.length, 1, show(r.errors));
    // `when: ` starts the value at column 9; the error is at CEL column 22 ("&&" is incomplete).
    assert.deepEqual([cel[0]!.file, cel[0]!.line, cel[0]!.column], ["routes.yaml", 6, 9 + 21]);
    assert.match(cel[0]!.message, /RoutePolicy "eu-orders": CEL syntax error.*\(CEL 1:22\)/);
  });

  void test("a CEL type error or unknown name is located, also in quoted and block scalars", async (t) => {
    const r = await load(t, {
      "routes.yaml": `apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: quoted }
spec:
  from: orders.created
  when: "value.amount > 1 + 'a'"
  to: [{ topic: orders.eu }]
---
apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: block }
spec:
  from: orders.created
  when: |
    value.region == "eu" &&
      region == "x"
  to: [{ topic: orders.us }]
`,
    });
    const cel = r.errors.filter((e) => e.rule === "cel").map((e) => [e.line, e.column, e.message]);
    assert.equal(cel.length, 2, show(r.errors));
    assert.equal(cel[0]![0], 6);
    assert.ok((cel[0]![1] as number) >= 24 && (cel[0]![1] as number) <= 30, `column ${String(cel[0]![1])}`);
    assert.match(cel[0]![2] as string, /type error/);
    assert.deepEqual(cel[1]!.slice(0, 2), [16, 7]);
    assert.match(cel[1]![2] as string, /undeclared reference to "region"/);
  });

  void test("a RoutePolicy naming a missing target topic is a located dangling reference", async (t) => {
    const r = await load(t, {
      "routes.yaml": `apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: eu-orders }
spec:
  from: orders.created
  to:
    - topic: orders.eu
    - topic: orders.nowhere
`,
    });
    const d = r.errors.filter((e) => e.rule === "dangling-reference");
    assert.deepEqual(
      d.map((e) => [e.file, e.line, e.column, e.pointer]),
      [["routes.yaml", 8, 14, "/spec/to/1/topic"]],
      show(r.errors),
    );
  });

  void test("a routing loop across policies is a located error naming the cycle", async (t) => {
    const r = await load(t, {
      "routes.yaml": `apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: a-to-b }
spec: { from: orders.eu, to: [{ topic: orders.us }] }
---
apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: b-to-a }
spec:
  from: orders.us
  to:
    - topic: orders.eu
`,
    });
    const loops = r.errors.filter((e) => e.rule === "routing-loop");
    assert.equal(loops.length, 1, show(r.errors));
    assert.deepEqual([loops[0]!.line, loops[0]!.column], [12, 14]);
    assert.match(loops[0]!.message, /orders\.eu → orders\.us → orders\.eu/);
  });

  void test("a malformed pattern in an AccessPolicy is a located error", async (t) => {
    const r = await load(t, {
      "more-access.yaml": `apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: bad-pattern }
spec:
  principals: [checkout]
  rules:
    - topics: ["orders.>.created"]
      actions: [consume]
`,
    });
    const e = r.errors.filter((x) => x.file === "more-access.yaml");
    assert.deepEqual(
      e.map((x) => [x.rule, x.line]),
      [["invalid", 7]],
      show(r.errors),
    );
    assert.match(e[0]!.message, /'>' is allowed only as the last token/);
  });

  void test("a namespace qualifier no resource uses is a located dangling reference", async (t) => {
    const r = await load(t, {
      "more-access.yaml": `apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: cross-team }
spec:
  principals: [checkout]
  rules:
    - topics: ["shop/orders.*", "*/orders.audit", "shpo/orders.*"]
      actions: [consume]
`,
    });
    const e = r.errors.filter((x) => x.file === "more-access.yaml");
    assert.deepEqual(
      e.map((x) => [x.rule, x.line, x.pointer]),
      [["dangling-reference", 7, "/spec/rules/0/topics/2"]],
      show(r.errors),
    );
    assert.match(e[0]!.message, /names namespace "shpo"/);
  });

  void test("weir.yaml's spec.auth.allowAnonymous is a boolean", async (t) => {
    const ok = await load(t, {
      "weir.yaml":
        "apiVersion: weir/v1\nkind: Config\nspec: { defaultNamespace: shop, auth: { allowAnonymous: true } }\n",
    });
    assert.deepEqual(ok.errors, [], show(ok.errors));
    assert.equal(ok.config?.spec?.auth?.allowAnonymous, true);
    const bad = await load(t, {
      "weir.yaml": "apiVersion: weir/v1\nkind: Config\nspec: { auth: { allowAnonymous: yes please } }\n",
    });
    assert.deepEqual(
      bad.errors.map((e) => [e.file, e.pointer]),
      [["weir.yaml", "/spec/auth/allowAnonymous"]],
    );
  });

  void test("passing PolicyTests load; a failing case rejects the commit at the case, saying why", async (t) => {
    const routes = `apiVersion: weir/v1
kind: RoutePolicy
metadata: { name: eu-orders }
spec:
  from: orders.created
  when: value.region == "eu"
  to: [{ topic: orders.eu }]
`;
    const passing = `apiVersion: weir/v1
kind: PolicyTest
metadata: { name: checkout }
spec:
  access:
    - { principal: checkout, action: produce, topic: orders.created, expect: allow }
    - { principal: checkout, action: produce, topic: orders.audit, expect: deny }
  routes:
    - from: orders.created
      record: { value: { region: eu }, key: o-1, headers: { source: web } }
      expect: [orders.eu]
    - from: orders.created
      record: { value: { region: us } }
      expect: []
`;
    const ok = await load(t, { "routes.yaml": routes, "policy-tests.yaml": passing });
    assert.deepEqual(ok.errors, [], show(ok.errors));

    const failing = await load(t, {
      "routes.yaml": routes,
      "policy-tests.yaml": `apiVersion: weir/v1
kind: PolicyTest
metadata: { name: checkout }
spec:
  access:
    - { principal: checkout, action: produce, topic: orders.created, expect: allow }
    - { principal: checkout, action: produce, topic: orders.audit, expect: allow }
  routes:
    - from: orders.created
      record: { value: { region: us } }
      expect: [orders.eu]
`,
    });
    const failed = failing.errors.filter((e) => e.rule === "policy-test");
    assert.deepEqual(
      failed.map((e) => [e.file, e.line, e.column]),
      [
        ["policy-tests.yaml", 7, 7],
        ["policy-tests.yaml", 9, 7],
      ],
    );
    assert.match(failed[0]!.message, /denied by checkout-orders rule 2 \(access\.yaml:9\)/);
    assert.match(
      failed[1]!.message,
      /expected a record on orders\.created to be routed to orders\.eu, got no topic/,
    );
  });

  void test("a PolicyTest naming an unknown principal or topic is a dangling reference", async (t) => {
    const r = await load(t, {
      "policy-tests.yaml": `apiVersion: weir/v1
kind: PolicyTest
metadata: { name: t }
spec:
  access: [{ principal: ghost, action: produce, topic: orders.created, expect: deny }]
  routes: [{ from: orders.gone, record: {}, expect: [] }]
`,
    });
    assert.deepEqual(
      r.errors.map((e) => [e.rule, e.pointer]),
      [
        ["dangling-reference", "/spec/access/0/principal"],
        ["dangling-reference", "/spec/routes/0/from"],
      ],
      show(r.errors),
    );
  });

  void test("examples/config: a deny that loses its */ no longer reaches orders' dead letters, and its PolicyTest says so", async (t) => {
    const dir = await tempDir(t);
    await cp(fileURLToPath(new URL("../../examples/config/", import.meta.url)), dir, { recursive: true });
    const edit = async (file: string, from: string, to: string) => {
      const path = join(dir, file);
      const text = await readFile(path, "utf8");
      assert.ok(text.includes(from), `${file} still has ${from}`);
      await writeFile(path, text.replace(from, to));
    };
    // Checkout may now produce to every orders topic; the platform-wide deny still keeps it off the DLQs.
    await edit(
      "orders/access.yaml",
      "- topics: [orders.created, orders.cancelled]",
      '- topics: ["orders.>"]',
    );
    const widened = await loadConfigDirectory(dir);
    assert.deepEqual(widened.errors, [], show(widened.errors));

    // Unqualified, the deny reaches only the platform namespace's topics.
    await edit("platform/access.yaml", 'topics: ["*/*.*.dlq", "*/*.dlq"]', 'topics: ["*.*.dlq", "*.dlq"]');
    const r = await loadConfigDirectory(dir);
    assert.deepEqual(
      r.errors.map((e) => [e.rule, e.file, e.line]),
      [["policy-test", "platform/policy-tests.yaml", 19]],
      show(r.errors),
    );
    assert.match(
      r.errors[0]!.message,
      /expected deny for checkout produce on topic orders\.created\.dlq, got allow: allowed by checkout-orders rule 1 \(orders\/access\.yaml:\d+\)/,
    );
  });
});
