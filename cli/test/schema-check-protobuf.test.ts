import { suite, test } from "node:test";
import assert from "node:assert/strict";
import { commitAll, git, tempDir, weir, writeFiles } from "./schema-cli.js";

// Protobuf schemas go through @weir/schema's tree-level check (real `buf build`, from @bufbuild/buf, then
// the structural comparison).

const money = `syntax = "proto3";
package shop.common.v1;

message Money {
  string currency = 1;
  int64 units = 2;
}
`;

const orderV1 = `syntax = "proto3";
package shop.v1;

import "shop/common/v1/money.proto";

message OrderCreated {
  string id = 1;
  shop.common.v1.Money total = 2;
}
`;

const schemasYaml = `apiVersion: weir/v1
kind: Schema
metadata: { name: money }
spec: { format: protobuf, file: proto/money.proto }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: orders-created }
spec:
  format: protobuf
  file: proto/order.proto
  messageType: shop.v1.OrderCreated
  references: [{ name: shop/common/v1/money.proto, schema: money }]
---
apiVersion: weir/v1
kind: Schema
metadata: { name: notes }
spec: { format: jsonschema, file: notes.json }
`;

void suite("weir schema check (Protobuf)", () => {
  void test("an incompatible .proto change exits 1 at the field's line; a compatible one exits 0", async (t) => {
    const dir = await tempDir(t);
    git(dir, "init", "-q", "-b", "main");
    await writeFiles(dir, {
      "schemas.yaml": schemasYaml,
      "proto/money.proto": money,
      "proto/order.proto": orderV1,
      "notes.json": "{}\n",
    });
    commitAll(dir, "v1");

    // Adding a field is compatible.
    await writeFiles(dir, {
      "proto/order.proto": orderV1.replace(
        "  shop.common.v1.Money total = 2;\n",
        "  shop.common.v1.Money total = 2;\n  string note = 3;\n",
      ),
    });
    const ok = await weir(["schema", "check", "--against", "HEAD"], dir);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^compatible\s+orders-created \(proto\/order\.proto, BACKWARD\)$/m);

    // Changing a field's type (string -> int64) breaks the wire format; and so does money's units.
    await writeFiles(dir, {
      "proto/order.proto": orderV1.replace("string id = 1;", "int64 id = 1;"),
      "proto/money.proto": money.replace("int64 units = 2;", "string units = 2;"),
    });
    const bad = await weir(["schema", "check", "--against", "HEAD", "--output", "github"], dir);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(
      bad.stdout,
      /^::error file=proto\/order\.proto,line=7,col=3,title=FIELD_SCALAR_KIND_CHANGED::schema orders-created: /m,
    );
    assert.match(
      bad.stdout,
      /^::error file=proto\/money\.proto,line=6,col=3,title=FIELD_SCALAR_KIND_CHANGED::schema money: /m,
    );
    // The order schema imports Money: the change inside the imported file concerns it too.
    assert.match(
      bad.stdout,
      /^::error file=proto\/money\.proto,line=6,col=3,title=FIELD_SCALAR_KIND_CHANGED::schema orders-created: /m,
    );
    assert.match(
      bad.stdout,
      /^::error file=proto\/order\.proto,line=8,col=3,title=FIELD_NAMED_TYPE_CHANGED::schema orders-created: /m,
    );
    assert.match(
      bad.stdout,
      /^FAILED: 3 schemas checked against HEAD .*: 2 incompatible, 0 changed compatibly, 0 new, 1 unchanged$/m,
    );
  });

  void test("two schemas declaring the same package and messages are checked each on its own", async (t) => {
    const dir = await tempDir(t);
    git(dir, "init", "-q", "-b", "main");
    const twoSubjects = `apiVersion: weir/v1
kind: Schema
metadata: { name: orders-a }
spec: { format: protobuf, file: a.proto }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: orders-b }
spec: { format: protobuf, file: b.proto }
`;
    const order = 'syntax = "proto3";\npackage shop.v1;\n\nmessage Order {\n  string id = 1;\n}\n';
    await writeFiles(dir, { "schemas.yaml": twoSubjects, "a.proto": order, "b.proto": order });
    commitAll(dir, "v1");
    await writeFiles(dir, {
      "a.proto": order.replace("string id = 1;", "string id = 1;\n  string note = 2;"),
      "b.proto": order.replace("string id = 1;", "int64 id = 1;"),
    });
    const run = await weir(["schema", "check", "--against", "HEAD", "--output", "json"], dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const out = JSON.parse(run.stdout) as { schemas: Array<{ name: string; compatible: boolean }> };
    assert.deepEqual(
      out.schemas.map((s) => [s.name, s.compatible]),
      [
        ["orders-a", true],
        ["orders-b", false],
      ],
    );
  });

  void test("a .proto file that does not compile exits 2 with its file:line:col", async (t) => {
    const dir = await tempDir(t);
    git(dir, "init", "-q", "-b", "main");
    await writeFiles(dir, {
      "schemas.yaml": schemasYaml,
      "proto/money.proto": money,
      "proto/order.proto": orderV1,
      "notes.json": "{}",
    });
    commitAll(dir, "v1");
    await writeFiles(dir, { "proto/order.proto": orderV1.replace("string id = 1;", "strng id = 1;") });
    const run = await weir(["schema", "check", "--against", "HEAD"], dir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /^proto\/order\.proto:7:3: Protobuf schema does not compile/m);
  });
});
