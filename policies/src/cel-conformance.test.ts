import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { isCelError, run } from "@bufbuild/cel";
import { getConformanceSuite, type IncrementalTestSuite } from "@bufbuild/cel-spec/testdata/tests.js";
import { compileWhen } from "./cel-when.js";

/**
 * The CEL features RoutePolicy `when` expressions lean on, checked against the CEL conformance data shipped
 * in @bufbuild/cel-spec: comparisons, logic, strings, map fields and the exists/all macros. Each
 * bool-valued case must also compile through {@link compileWhen} (our static checks accept every valid
 * expression) and give the same answer; each error case must not route.
 */
const wanted: Record<string, readonly string[] | "all"> = {
  basic: ["self_eval_zeroish", "self_eval_nonzeroish", "functions"],
  comparisons: [
    "eq_literal",
    "ne_literal",
    "lt_literal",
    "gt_literal",
    "lte_literal",
    "gte_literal",
    "in_list_literal",
    "in_map_literal",
  ],
  logic: "all",
  string: ["size", "starts_with", "ends_with", "contains", "concatenation", "matches"],
  fields: ["map_fields", "map_has", "in"],
  macros: ["exists", "all"],
};

const conformance = getConformanceSuite();

function pick(root: IncrementalTestSuite): Array<{ section: string; s: IncrementalTestSuite }> {
  const out: Array<{ section: string; s: IncrementalTestSuite }> = [];
  for (const [name, sections] of Object.entries(wanted)) {
    const file = root.suites.find((s) => s.name === name);
    assert.ok(file, `conformance file ${name} is in @bufbuild/cel-spec`);
    for (const s of file.suites)
      if (sections === "all" || sections.includes(s.name)) out.push({ section: `${name}/${s.name}`, s });
  }
  return out;
}

void suite("CEL conformance (the subset RoutePolicy uses)", () => {
  for (const { section, s } of pick(conformance)) {
    void test(section, () => {
      let ran = 0;
      for (const t of s.tests) {
        const o = t.original;
        if (Object.keys(o.bindings).length > 0 || o.typeEnv.length > 0 || o.container !== "" || o.checkOnly)
          continue;
        const m = o.resultMatcher;
        const got = run(o.expr);
        // Cases that opt out of type checking (unknown functions...) are refused by compileWhen's static checks by design.
        const checked = !o.disableCheck;
        if (m.case === "value" && m.value.kind.case === "boolValue") {
          const want = m.value.kind.value;
          assert.equal(got, want, `${t.name}: ${o.expr}`);
          ran++;
          if (!checked) continue;
          const compiled = compileWhen(o.expr);
          assert.ok(
            "predicate" in compiled,
            `${t.name}: ${o.expr} compiles as a when: ${JSON.stringify(compiled)}`,
          );
          assert.equal(compiled.predicate({}), want, `${t.name} through compileWhen`);
        } else if (m.case === "evalError") {
          assert.ok(isCelError(got), `${t.name}: ${o.expr} is an error`);
          const compiled = compileWhen(o.expr);
          assert.ok(
            !("predicate" in compiled) || !compiled.predicate({}),
            `${t.name}: an error never routes`,
          );
          ran++;
        } else if (m.case === "value") {
          assert.ok(!isCelError(got), `${t.name}: ${o.expr} evaluates`);
          ran++;
        }
      }
      assert.ok(ran > 0, `${section} ran some cases`);
    });
  }
});
