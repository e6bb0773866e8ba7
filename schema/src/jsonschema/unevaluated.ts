/**
 * `unevaluatedProperties` and `unevaluatedItems` as the specification defines them: a constraint on the
 * properties (items) no adjacent keyword evaluated, where "evaluated" is the annotations of `properties`,
 * `patternProperties`, `additionalProperties` (`prefixItems`, `items`) of the schema object and of every
 * in-place subschema that passed (`allOf`, `$ref`, the passing `anyOf` / `oneOf` branches, `if`+`then` or
 * `else`).
 *
 * What is evaluated is known statically through `allOf` and `$ref`; through `anyOf`, `oneOf` and
 * `if`/`then`/`else` it depends on which branches pass, so the schema is split into one case per set of
 * passing branches, each case with the evaluated set of its branches. The keywords then become an
 * ordinary object part (`additionalProperties` over the evaluated names and patterns) or array tail
 * (`items` after the evaluated prefix), which the checker already compares exactly. Shapes it cannot
 * split this way (several such applicators side by side, `contains`, `dependentSchemas`, a `$dynamicRef`)
 * stay opaque: compared only when written identically.
 */
import { TRUE_REF } from "./constants.js";
import { fullAtom, fullNorm, intersectNorms, unionNorms } from "./atoms.js";
import { childPointer, isJsonObject } from "./json-values.js";
import type { ArrayAtom, Atom, Ctx, Doc, Norm, ObjectAtom, Ref } from "./types.js";
import { jsonTypes } from "./types.js";

/** Properties a schema evaluates: names, patterns, or all of them. */
interface EvaluatedProps {
  readonly names: ReadonlySet<string>;
  readonly patterns: readonly string[];
  readonly all: boolean;
}

/** Items a schema evaluates: a prefix, or all of them. */
interface EvaluatedItems {
  readonly prefix: number;
  readonly all: boolean;
}

type Evaluated = EvaluatedProps | EvaluatedItems;

/** The most branches of an `anyOf` split into every set of passing branches (2^n - 1 cases). */
const maxAnyOfBranches = 4;

const branching = ["anyOf", "oneOf", "if"] as const;

/** A node reached in place: the schema and the document it is resolved in. */
interface Place {
  readonly node: unknown;
  readonly doc: Doc;
  readonly loc: string;
}

/**
 * The places a schema always evaluates in place together with itself (itself, its `allOf` members and
 * `$ref` targets, transitively), or undefined when what it evaluates depends on which branches pass.
 */
function staticPlaces(
  cx: Ctx,
  start: Place,
  withBranches: boolean,
  keyword: "unevaluatedProperties" | "unevaluatedItems",
): Place[] | undefined {
  const out: Place[] = [];
  const seen = new Set<unknown>();
  const pending: Place[] = [start];
  let first = true;
  while (pending.length) {
    const p = pending.pop()!;
    if (seen.has(p.node)) continue;
    seen.add(p.node);
    if (!isJsonObject(p.node)) continue; // true, false: no annotations
    const s = p.node;
    // the schema itself may branch (its branches are split by the caller); anything nested may not
    if (!(first && withBranches) && branching.some((k) => k in s)) return undefined;
    first = false;
    if ("$dynamicRef" in s || "$recursiveRef" in s) return undefined;
    // evaluation that depends on the document: dependent schemas (objects), contains (arrays)
    if (keyword === "unevaluatedProperties") {
      if ("dependentSchemas" in s) return undefined;
      if (isJsonObject(s.dependencies) && Object.values(s.dependencies).some((v) => !Array.isArray(v)))
        return undefined;
    } else if ("contains" in s) return undefined;
    out.push(p);
    if (typeof s.$ref === "string") {
      const target = cx.resolveRef(p.doc, s, s.$ref, childPointer(p.loc, "$ref"));
      if (!target || target.kind !== "schema") return undefined;
      pending.push({ node: target.node, doc: target.doc, loc: target.loc });
    }
    if (Array.isArray(s.allOf)) {
      s.allOf.forEach((x, i) => pending.push({ node: x, doc: p.doc, loc: childPointer(p.loc, "allOf", i) }));
    }
  }
  return out;
}

function propsOf(places: readonly Place[], self: unknown): EvaluatedProps {
  const names = new Set<string>();
  const patterns: string[] = [];
  let all = false;
  for (const { node } of places) {
    const s = node as Record<string, unknown>;
    if (isJsonObject(s.properties)) for (const k of Object.keys(s.properties)) names.add(k);
    if (isJsonObject(s.patternProperties)) patterns.push(...Object.keys(s.patternProperties));
    if ("additionalProperties" in s) all = true;
    // a nested unevaluatedProperties evaluates every property its schema left over
    if (node !== self && "unevaluatedProperties" in s) all = true;
  }
  return { names, patterns, all };
}

function itemsOf(places: readonly Place[], self: unknown): EvaluatedItems {
  let prefix = 0;
  let all = false;
  for (const { node, doc } of places) {
    const s = node as Record<string, unknown>;
    if (Array.isArray(s.prefixItems)) prefix = Math.max(prefix, s.prefixItems.length);
    if (Array.isArray(s.items)) {
      prefix = Math.max(prefix, s.items.length);
      if ("additionalItems" in s) all = true;
    } else if ("items" in s) all = true;
    if (doc.draft !== "2020-12" && "additionalItems" in s && !Array.isArray(s.items)) all = true;
    if (node !== self && "unevaluatedItems" in s) all = true;
  }
  return { prefix, all };
}

/** What two schemas evaluate together (both about properties, or both about items). */
function union(a: Evaluated, b: Evaluated): Evaluated {
  if ("names" in a && "names" in b) {
    return {
      names: new Set([...a.names, ...b.names]),
      patterns: [...a.patterns, ...b.patterns],
      all: a.all || b.all,
    };
  }
  if ("prefix" in a && "prefix" in b) return { prefix: Math.max(a.prefix, b.prefix), all: a.all || b.all };
  throw new Error("unreachable: properties and items evaluated together");
}

/** Every value, with objects (arrays) restricted to `atom`. */
function only(atom: Atom, loc: string): Norm {
  return jsonTypes.map((t) => (t === atom.kind ? atom : fullAtom(t, loc)));
}

/** The constraint `unevaluatedProperties: ref` puts on objects once `e` is evaluated. */
function propsConstraint(e: EvaluatedProps, ref: Ref, refLoc: string, loc: string): Norm {
  if (e.all) return fullNorm(loc);
  const atom: ObjectAtom = {
    ...(fullAtom("object", loc) as ObjectAtom),
    parts: [
      {
        props: new Map([...e.names].map((k) => [k, TRUE_REF])),
        patterns: e.patterns.map((source) => ({ source, ref: TRUE_REF, loc: refLoc })),
        additional: ref,
        additionalLoc: refLoc,
        loc,
      },
    ],
  };
  return only(atom, loc);
}

/** The constraint `unevaluatedItems: ref` puts on arrays once `e` is evaluated. */
function itemsConstraint(e: EvaluatedItems, ref: Ref, refLoc: string, loc: string): Norm {
  if (e.all) return fullNorm(loc);
  const atom: ArrayAtom = {
    ...(fullAtom("array", loc) as ArrayAtom),
    prefix: Array.from({ length: e.prefix }, () => TRUE_REF),
    prefixLocs: Array.from({ length: e.prefix }, () => refLoc),
    rest: ref,
    restLoc: refLoc,
  };
  return only(atom, loc);
}

/** Every non-empty subset of `0..n-1`. */
function subsets(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    out.push(Array.from({ length: n }, (_, i) => i).filter((i) => mask & (1 << i)));
  }
  return out;
}

/**
 * The constraint one `unevaluated*` keyword of schema `s` adds to its other keywords, or undefined when
 * its shape cannot be modelled (the caller keeps the keyword opaque).
 */
function unevaluatedConstraint(
  cx: Ctx,
  s: Record<string, unknown>,
  doc: Doc,
  loc: string,
  keyword: "unevaluatedProperties" | "unevaluatedItems",
): Norm | undefined {
  const refLoc = childPointer(loc, keyword);
  const ref = cx.schemaRef(s[keyword], doc, refLoc);
  const evaluatedBy = (place: Place, withBranches = false): Evaluated | undefined => {
    const places = staticPlaces(cx, place, withBranches, keyword);
    if (!places) return undefined;
    // ajv counts what a nested unevaluated* keyword evaluates even when its branch fails (an `if` that
    // does not pass): keep such shapes opaque rather than disagree with the validator
    if (!withBranches && places.some((p) => isJsonObject(p.node) && keyword in p.node)) return undefined;
    return keyword === "unevaluatedProperties" ? propsOf(places, s) : itemsOf(places, s);
  };
  const constraint = (e: Evaluated): Norm =>
    "names" in e ? propsConstraint(e, ref, refLoc, loc) : itemsConstraint(e, ref, refLoc, loc);
  const base = evaluatedBy({ node: s, doc, loc }, true);
  if (!base) return undefined;
  const present = branching.filter((k) => k in s);
  if (present.length === 0) return constraint(base);
  if (present.length > 1) return undefined;
  const sub = (x: unknown, ...segs: (string | number)[]): Place => ({
    node: x,
    doc,
    loc: childPointer(loc, ...segs),
  });
  const norm = (p: Place): Norm => cx.norm(cx.schemaRef(p.node, p.doc, p.loc));
  if (present[0] === "if") {
    const cond = sub(s.if, "if");
    const then = "then" in s ? sub(s.then, "then") : undefined;
    const otherwise = "else" in s ? sub(s.else, "else") : undefined;
    const eIf = evaluatedBy(cond);
    const eThen = then ? evaluatedBy(then) : base;
    const eElse = otherwise ? evaluatedBy(otherwise) : base;
    if (!eIf || !eThen || !eElse) return undefined;
    // the other keywords already enforce then / else; this only adds which properties they evaluated
    const passed = intersectNorms(cx, norm(cond), constraint(union(union(base, eIf), eThen)));
    const failed = intersectNorms(
      cx,
      cx.norm(cx.not(cx.schemaRef(cond.node, doc, cond.loc), cond.loc)),
      constraint(union(base, eElse)),
    );
    return unionNorms(passed, failed);
  }
  const key = present[0]!;
  const members = s[key];
  if (!Array.isArray(members)) return undefined;
  const branches = members.map((x, i) => sub(x, key, i));
  const evaluated = branches.map((b) => evaluatedBy(b));
  if (evaluated.some((e) => e === undefined)) return undefined;
  if (key === "anyOf" && branches.length > maxAnyOfBranches) return undefined;
  // anyOf: the passing branches are any non-empty subset; oneOf: exactly one (the other keywords
  // already exclude the rest). A case whose branches pass evaluates their union.
  const cases = key === "oneOf" ? branches.map((_, i) => [i]) : subsets(branches.length);
  return unionNorms(
    ...cases.map((set) =>
      set.reduce<Norm>(
        (acc, i) => intersectNorms(cx, acc, norm(branches[i]!)),
        constraint(set.reduce((e, i) => union(e, evaluated[i]!), base)),
      ),
    ),
  );
}

/**
 * Applies `unevaluatedProperties` / `unevaluatedItems` of schema object `s` to the union of its other
 * keywords. Returns the narrowed union and the keywords left opaque (not modelled).
 */
export function applyUnevaluated(
  cx: Ctx,
  s: Record<string, unknown>,
  doc: Doc,
  loc: string,
  norm: Norm,
): { norm: Norm; opaque: ("unevaluatedProperties" | "unevaluatedItems")[] } {
  const opaque: ("unevaluatedProperties" | "unevaluatedItems")[] = [];
  let out = norm;
  for (const keyword of ["unevaluatedProperties", "unevaluatedItems"] as const) {
    if (!(keyword in s)) continue;
    // drafts before 2019-09 have no such keyword: their validators ignore it, and so does the checker
    if (doc.draft !== "2020-12") continue;
    const constraint = unevaluatedConstraint(cx, s, doc, loc, keyword);
    if (constraint) out = intersectNorms(cx, out, constraint);
    else opaque.push(keyword);
  }
  return { norm: out, opaque };
}
