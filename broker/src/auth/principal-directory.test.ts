import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoredObject } from "@weir/common";
import { PrincipalDirectory, sha256Hex } from "./principal-directory.js";

const principal = (name: string, spec: unknown, namespace = "shop"): StoredObject => ({
  kind: "Principal",
  name,
  namespace,
  spec,
  version: 1,
  updatedMs: 0,
});

void test("a token matches the principal whose tokenSha256 (string or array of two) holds its digest", () => {
  const dir = PrincipalDirectory.fromObjects([
    principal("checkout", { tokenSha256: sha256Hex("tok-checkout") }),
    principal("billing", { tokenSha256: [sha256Hex("old-billing"), sha256Hex("new-billing")] }),
    { ...principal("not-a-principal", { tokenSha256: sha256Hex("x") }), kind: "Topic" },
  ]);
  assert.equal(dir.size, 2);
  assert.deepEqual(dir.match({ token: "tok-checkout" }), {
    principal: "checkout",
    namespace: "shop",
    method: "token",
  });
  assert.equal(dir.match({ token: "old-billing" })?.principal, "billing");
  assert.equal(dir.match({ token: "new-billing" })?.principal, "billing");
  assert.equal(dir.match({ token: "x" }), undefined, "objects of other kinds are no principals");
  assert.equal(dir.match({ token: "garbage" }), undefined);
  assert.equal(dir.match({}), undefined);
});

void test("a rotated-away hash no longer matches once the directory is rebuilt", () => {
  const before = PrincipalDirectory.fromObjects([
    principal("billing", { tokenSha256: [sha256Hex("old"), sha256Hex("new")] }),
  ]);
  const after = PrincipalDirectory.fromObjects([principal("billing", { tokenSha256: sha256Hex("new") })]);
  assert.equal(before.match({ token: "old" })?.principal, "billing");
  assert.equal(after.match({ token: "old" }), undefined);
  assert.equal(after.match({ token: "new" })?.principal, "billing");
});

void test("a certificate subject matches a principal naming it exactly", () => {
  const dir = PrincipalDirectory.fromObjects([
    principal("edge", { certificateSubject: "edge.shop.internal" }),
  ]);
  assert.deepEqual(dir.match({ certificateSubjects: ["other", "edge.shop.internal"] }), {
    principal: "edge",
    namespace: "shop",
    method: "certificate",
  });
  assert.equal(dir.match({ certificateSubjects: ["EDGE.shop.internal"] }), undefined, "exact compare");
  assert.equal(dir.match({ certificateSubjects: [] }), undefined);
});

void test("the bootstrap admin matches its token", () => {
  const dir = PrincipalDirectory.fromObjects([], { name: "weir:admin", tokenSha256: sha256Hex("boot") });
  assert.equal(dir.size, 1);
  assert.equal(dir.match({ token: "boot" })?.principal, "weir:admin");
});
