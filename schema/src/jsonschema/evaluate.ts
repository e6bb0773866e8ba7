import { fullFormats } from "ajv-formats/dist/formats.js";
import { isMultipleOf } from "./numbers.js";
import { itemLoc, itemRef } from "./atoms.js";
import { isJsonObject, jsonEqual, jsonTypeOf } from "./json-values.js";
import { compilePattern } from "./regex.js";
import type { Atom, Ctx, Norm, ObjectAtom, Reason, ReasonKind, Ref, TypedAtom } from "./types.js";
import { atomType } from "./types.js";

/** Why a value is rejected: the kind of constraint and where it is written. */
export interface Rejection {
  readonly kind: ReasonKind;
  readonly loc: string;
  readonly name?: string;
}

/** Whether a string has the named format, as ajv-formats decides it; undefined for unknown formats. */
export function formatMatches(name: string, value: string): boolean | undefined {
  if (!Object.hasOwn(fullFormats, name)) return undefined;
  const f = fullFormats[name as keyof typeof fullFormats] as unknown;
  const check = (v: unknown): boolean | undefined => {
    if (v === true) return true;
    if (v instanceof RegExp) return v.test(value);
    if (typeof v === "function") return Boolean((v as (s: string) => unknown)(value));
    return undefined;
  };
  if (isJsonObject(f)) return check(f.validate);
  return check(f);
}

/** Unicode code points, as JSON Schema counts string length. */
export function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

function refAccepts(cx: Ctx, ref: Ref, value: unknown): boolean {
  return cx.accepts(cx.norm(ref), value);
}

/** The schemas that apply to the value of key `k` in an object atom (one per part). */
export function valueRefs(cx: Ctx, a: ObjectAtom, k: string): Ref[] {
  const out: Ref[] = [];
  for (const part of a.parts) {
    let matched = false;
    const prop = part.props.get(k);
    if (prop) {
      out.push(prop);
      matched = true;
    }
    for (const p of part.patterns) {
      const re = compilePattern(p.source);
      if (!re) {
        cx.undecidable({ kind: "UNDECIDABLE_PATTERN", subLoc: p.loc, superLoc: p.loc, name: p.source });
        continue;
      }
      if (re.test(k)) {
        out.push(p.ref);
        matched = true;
      }
    }
    if (!matched) out.push(part.additional);
  }
  return out;
}

/** The first constraint of an atom the value breaks, or undefined when the atom accepts the value. */
export function rejection(cx: Ctx, a: Atom, value: unknown): Rejection | undefined {
  const type = jsonTypeOf(value);
  if (type !== atomType(a)) return { kind: "TYPE", loc: a.loc };
  if (a.kind === "const") return jsonEqual(a.value, value) ? undefined : { kind: "ENUM", loc: a.loc };
  if (a.notValues.some((v) => jsonEqual(v, value))) return { kind: "EXCLUSION", loc: a.loc };
  for (const n of a.negs) if (!rejection(cx, n, value)) return { kind: "EXCLUSION", loc: n.loc };
  for (const o of a.opaque) {
    cx.undecidable({ kind: "UNDECIDABLE_KEYWORD", subLoc: o.loc, superLoc: o.loc, name: o.keyword });
  }
  return typedRejection(cx, a, value);
}

function typedRejection(cx: Ctx, a: TypedAtom, value: unknown): Rejection | undefined {
  switch (a.kind) {
    case "null":
    case "boolean":
      return undefined;
    case "number": {
      const x = value as number;
      if (a.integer && !Number.isInteger(x)) return { kind: "INTEGER", loc: a.integer };
      if (a.min && (x < a.min.value || (a.min.exclusive && x === a.min.value)))
        return { kind: "MINIMUM", loc: a.min.loc };
      if (a.max && (x > a.max.value || (a.max.exclusive && x === a.max.value)))
        return { kind: "MAXIMUM", loc: a.max.loc };
      for (const m of a.multipleOf) if (!isMultipleOf(x, m.value)) return { kind: "MULTIPLE_OF", loc: m.loc };
      for (const m of a.notMultipleOf) if (isMultipleOf(x, m.value)) return { kind: "EXCLUSION", loc: m.loc };
      return undefined;
    }
    case "string": {
      const s = value as string;
      const len = codePoints(s);
      if (a.minLength && len < a.minLength.value) return { kind: "MIN_LENGTH", loc: a.minLength.loc };
      if (a.maxLength && len > a.maxLength.value) return { kind: "MAX_LENGTH", loc: a.maxLength.loc };
      for (const p of a.patterns) {
        const re = compilePattern(p.value);
        if (!re)
          cx.undecidable({ kind: "UNDECIDABLE_PATTERN", subLoc: p.loc, superLoc: p.loc, name: p.value });
        if (!re?.test(s)) return { kind: "PATTERN", loc: p.loc, name: p.value };
      }
      for (const p of a.notPatterns) {
        const re = compilePattern(p.value);
        if (!re)
          cx.undecidable({ kind: "UNDECIDABLE_PATTERN", subLoc: p.loc, superLoc: p.loc, name: p.value });
        if (!re || re.test(s)) return { kind: "EXCLUSION", loc: p.loc, name: p.value };
      }
      for (const f of a.formats) {
        const ok = formatMatches(f.value, s);
        if (ok === undefined)
          cx.undecidable({
            kind: "UNDECIDABLE_KEYWORD",
            subLoc: f.loc,
            superLoc: f.loc,
            name: `format ${f.value}`,
          });
        if (!ok) return { kind: "FORMAT", loc: f.loc, name: f.value };
      }
      for (const f of a.notFormats) {
        const ok = formatMatches(f.value, s);
        if (ok === undefined)
          cx.undecidable({
            kind: "UNDECIDABLE_KEYWORD",
            subLoc: f.loc,
            superLoc: f.loc,
            name: `format ${f.value}`,
          });
        if (ok !== false) return { kind: "EXCLUSION", loc: f.loc, name: f.value };
      }
      // contentEncoding / contentMediaType are not asserted by the validators either
      return undefined;
    }
    case "array": {
      const xs = value as unknown[];
      if (a.min && xs.length < a.min.value) return { kind: "MIN_ITEMS", loc: a.min.loc };
      if (a.max && xs.length > a.max.value) return { kind: "MAX_ITEMS", loc: a.max.loc };
      for (let i = 0; i < xs.length; i++) {
        const norm = cx.norm(itemRef(a, i));
        const why = firstRejection(cx, norm, xs[i]);
        if (why)
          return why.kind === "TYPE" && norm.length === 0 ? { kind: "MAX_ITEMS", loc: itemLoc(a, i) } : why;
      }
      const dup = xs.some((x, i) => xs.some((y, j) => j > i && jsonEqual(x, y)));
      if (a.unique && dup) return { kind: "UNIQUE_ITEMS", loc: a.unique };
      if (a.notUnique && !dup) return { kind: "EXCLUSION", loc: a.notUnique };
      for (const c of a.contains) {
        const n = xs.filter((x) => refAccepts(cx, c.ref, x)).length;
        if (n < c.min) return { kind: "CONTAINS", loc: c.loc };
        if (n > c.max) return { kind: "MAX_CONTAINS", loc: c.loc };
      }
      return undefined;
    }
    case "object": {
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o);
      for (const [k, loc] of a.required) if (!Object.hasOwn(o, k)) return { kind: "REQUIRED", loc, name: k };
      if (a.min && keys.length < a.min.value) return { kind: "MIN_PROPERTIES", loc: a.min.loc };
      if (a.max && keys.length > a.max.value) return { kind: "MAX_PROPERTIES", loc: a.max.loc };
      for (const k of keys) {
        for (const pn of a.propertyNames) {
          if (!refAccepts(cx, pn, k)) return { kind: "PROPERTY_NAMES", loc: pn.loc, name: k };
        }
        for (const r of valueRefs(cx, a, k)) {
          const norm = cx.norm(r);
          const why = firstRejection(cx, norm, o[k]);
          if (why) return norm.length === 0 ? { kind: "PROPERTY", loc: r.loc, name: k } : why;
        }
      }
      for (const d of a.dependentRequired) {
        if (!Object.hasOwn(o, d.key)) continue;
        const missing = d.deps.find((x) => !Object.hasOwn(o, x));
        if (missing !== undefined) return { kind: "DEPENDENT_REQUIRED", loc: d.loc, name: missing };
      }
      for (const d of a.dependentSchemas) {
        if (!Object.hasOwn(o, d.key)) continue;
        const why = firstRejection(cx, cx.norm(d.ref), o);
        if (why) return why;
      }
      return undefined;
    }
  }
}

/** Undefined when some atom of the union accepts the value; else why the closest atom rejects it. */
export function firstRejection(cx: Ctx, norm: Norm, value: unknown): Rejection | undefined {
  let best: Rejection | undefined;
  const type = jsonTypeOf(value);
  for (const a of norm) {
    const why = rejection(cx, a, value);
    if (!why) return undefined;
    if (!best || (best.kind === "TYPE" && atomType(a) === type)) best = why;
  }
  return best ?? { kind: "TYPE", loc: "" };
}

/** Whether some atom of the union accepts the value. */
export function acceptsNorm(cx: Ctx, norm: Norm, value: unknown): boolean {
  return norm.some((a) => rejection(cx, a, value) === undefined);
}

/** A reason built from a rejection, for a value of the sub-schema its super-schema rejects. */
export function reasonFromRejection(why: Rejection, subLoc: string, value: unknown): Reason {
  return {
    kind: why.kind,
    subLoc,
    superLoc: why.loc,
    subText: JSON.stringify(value),
    ...(why.name === undefined ? {} : { name: why.name }),
  };
}
