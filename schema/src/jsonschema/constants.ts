import type { Doc, Ref } from "./types.js";

/** The document the shared `true` / `false` references belong to (never resolved against). */
const noDoc: Doc = {
  id: 0,
  label: "",
  root: true,
  draft: "2020-12",
  side: "old",
  baseOf: new WeakMap(),
  resources: new Map(),
  syntheticBase: "https://weir.invalid/none/schema.json",
};

/** The schema `true` as a reference (shared by every comparison; ids below 10 are reserved). */
export const TRUE_REF: Ref = { kind: "schema", id: 1, node: true, doc: noDoc, loc: "" };

/** The schema `false` as a reference. */
export const FALSE_REF: Ref = { kind: "schema", id: 2, node: false, doc: noDoc, loc: "" };
