import { jsonEqual, jsonTypeOf } from "./json-values.js";
import type {
  ArrayAtom,
  Atom,
  Bound,
  ConstAtom,
  Ctx,
  JsonType,
  Lim,
  Norm,
  NumberAtom,
  ObjectAtom,
  ObjectPart,
  Ref,
  Str,
  StringAtom,
  TypedAtom,
} from "./types.js";
import { atomType, jsonTypes } from "./types.js";
import { FALSE_REF, TRUE_REF } from "./constants.js";

/** The most atoms a union may hold before the checker gives up on a schema as too complex. */
export const maxAtoms = 512;

const common = { notValues: [], negs: [], opaque: [] } as const;

/** The atom of every value of a type. */
export function fullAtom(type: JsonType, loc: string): TypedAtom {
  switch (type) {
    case "null":
      return { kind: "null", loc, ...common };
    case "boolean":
      return { kind: "boolean", loc, ...common };
    case "number":
      return {
        kind: "number",
        loc,
        ...common,
        integer: null,
        min: undefined,
        max: undefined,
        multipleOf: [],
        notMultipleOf: [],
      };
    case "string":
      return {
        kind: "string",
        loc,
        ...common,
        minLength: undefined,
        maxLength: undefined,
        patterns: [],
        notPatterns: [],
        formats: [],
        notFormats: [],
        content: [],
      };
    case "array":
      return fullArray(loc);
    case "object":
      return fullObject(loc);
  }
}

function fullArray(loc: string): ArrayAtom {
  return {
    kind: "array",
    loc,
    ...common,
    prefix: [],
    prefixLocs: [],
    rest: TRUE_REF,
    restLoc: `${loc}/items`,
    min: undefined,
    max: undefined,
    unique: null,
    notUnique: null,
    contains: [],
  };
}

function fullObject(loc: string): ObjectAtom {
  return {
    kind: "object",
    loc,
    ...common,
    parts: [],
    propertyNames: [],
    required: new Map(),
    min: undefined,
    max: undefined,
    dependentRequired: [],
    dependentSchemas: [],
  };
}

/** An empty object part (no properties, no patterns, anything else allowed). */
export function openPart(loc: string): ObjectPart {
  return {
    props: new Map(),
    patterns: [],
    additional: TRUE_REF,
    additionalLoc: `${loc}/additionalProperties`,
    loc,
  };
}

/** Every JSON value. */
export function fullNorm(loc: string): Norm {
  return jsonTypes.map((t) => fullAtom(t, loc));
}

/** The atom of exactly one value. */
export function constAtom(value: unknown, loc: string): ConstAtom | undefined {
  const type = jsonTypeOf(value);
  return type === undefined ? undefined : { kind: "const", type, value, loc };
}

/** Whether a reference is trivially `true` (the literal `true` or `{}`), without normalizing it. */
export function isTrivialTrue(ref: Ref): boolean {
  if (ref.kind === "schema") {
    const n = ref.node;
    return (
      n === true || (typeof n === "object" && n !== null && !Array.isArray(n) && Object.keys(n).length === 0)
    );
  }
  return ref.kind === "and" && ref.of.every(isTrivialTrue);
}

/** Whether a typed atom carries no constraint at all. */
export function isUnconstrained(a: Atom): boolean {
  if (a.kind === "const") return false;
  if (a.notValues.length || a.negs.length || a.opaque.length) return false;
  switch (a.kind) {
    case "null":
    case "boolean":
      return true;
    case "number":
      return !a.integer && !a.min && !a.max && !a.multipleOf.length && !a.notMultipleOf.length;
    case "string":
      return (
        !a.minLength &&
        !a.maxLength &&
        !a.patterns.length &&
        !a.notPatterns.length &&
        !a.formats.length &&
        !a.notFormats.length &&
        !a.content.length
      );
    case "array":
      return (
        !a.prefix.length &&
        isTrivialTrue(a.rest) &&
        !a.min &&
        !a.max &&
        !a.unique &&
        !a.notUnique &&
        !a.contains.length
      );
    case "object":
      return (
        a.parts.every((p) => p.props.size === 0 && p.patterns.length === 0 && isTrivialTrue(p.additional)) &&
        !a.propertyNames.length &&
        !a.required.size &&
        !a.min &&
        !a.max &&
        !a.dependentRequired.length &&
        !a.dependentSchemas.length
      );
  }
}

/** The tighter of two lower bounds. */
export function tighterMin(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.value !== b.value) return a.value > b.value ? a : b;
  return b.exclusive && !a.exclusive ? b : a;
}

/** The tighter of two upper bounds. */
export function tighterMax(a: Bound | undefined, b: Bound | undefined): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.value !== b.value) return a.value < b.value ? a : b;
  return b.exclusive && !a.exclusive ? b : a;
}

/** The larger of two minimum counts. */
export function largerLim(a: Lim | undefined, b: Lim | undefined): Lim | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.value > a.value ? b : a;
}

/** The smaller of two maximum counts. */
export function smallerLim(a: Lim | undefined, b: Lim | undefined): Lim | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.value < a.value ? b : a;
}

function mergeStrs(a: readonly Str[], b: readonly Str[]): readonly Str[] {
  if (!b.length) return a;
  if (!a.length) return b;
  return [...a, ...b.filter((x) => !a.some((y) => y.value === x.value))];
}

function mergeValues(a: readonly unknown[], b: readonly unknown[]): readonly unknown[] {
  if (!b.length) return a;
  if (!a.length) return b;
  return [...a, ...b.filter((x) => !a.some((y) => jsonEqual(x, y)))];
}

/** The schema of array position `i` (a prefix item or the rest). */
export function itemRef(a: ArrayAtom, i: number): Ref {
  return a.prefix[i] ?? a.rest;
}

/** Where the schema of array position `i` is written. */
export function itemLoc(a: ArrayAtom, i: number): string {
  return a.prefixLocs[i] ?? a.restLoc;
}

/** Whether the numeric bounds, lengths or counts of an atom contradict each other (cheap, no recursion). */
export function boundsEmpty(a: Atom): boolean {
  const lim = (min: Lim | undefined, max: Lim | undefined): boolean =>
    min !== undefined && max !== undefined && min.value > max.value;
  switch (a.kind) {
    case "number": {
      if (!a.min || !a.max) return false;
      if (a.min.value > a.max.value) return true;
      if (a.min.value === a.max.value && (a.min.exclusive || a.max.exclusive)) return true;
      if (a.integer) {
        const lo = a.min.exclusive ? Math.floor(a.min.value) + 1 : Math.ceil(a.min.value);
        const hi = a.max.exclusive ? Math.ceil(a.max.value) - 1 : Math.floor(a.max.value);
        return lo > hi;
      }
      return false;
    }
    case "string":
      return lim(a.minLength, a.maxLength);
    case "array":
      return (
        lim(a.min, a.max) ||
        a.contains.some((c) => c.min > c.max || (a.max !== undefined && c.min > a.max.value))
      );
    case "object":
      return lim(a.min, a.max) || (a.max !== undefined && a.required.size > a.max.value);
    case "const":
    case "null":
    case "boolean":
      return false;
  }
}

/** The intersection of two atoms, or undefined when it is (cheaply seen to be) empty. */
export function intersectAtoms(cx: Ctx, a: Atom, b: Atom): Atom | undefined {
  if (atomType(a) !== atomType(b)) return undefined;
  if (a.kind === "const") return cx.accepts([b], a.value) ? a : undefined;
  if (b.kind === "const") return cx.accepts([a], b.value) ? b : undefined;
  if (isUnconstrained(a)) return b;
  if (isUnconstrained(b)) return a;
  const base = {
    loc: a.loc,
    notValues: mergeValues(a.notValues, b.notValues),
    negs: a.negs.length && b.negs.length ? [...a.negs, ...b.negs] : a.negs.length ? a.negs : b.negs,
    opaque: [...a.opaque, ...b.opaque],
  };
  let out: Atom;
  switch (a.kind) {
    case "null":
    case "boolean":
      out = { ...a, ...base };
      break;
    case "number": {
      const y = b as NumberAtom;
      out = {
        kind: "number",
        ...base,
        integer: a.integer ?? y.integer,
        min: tighterMin(a.min, y.min),
        max: tighterMax(a.max, y.max),
        multipleOf: [...a.multipleOf, ...y.multipleOf],
        notMultipleOf: [...a.notMultipleOf, ...y.notMultipleOf],
      };
      break;
    }
    case "string": {
      const y = b as StringAtom;
      out = {
        kind: "string",
        ...base,
        minLength: largerLim(a.minLength, y.minLength),
        maxLength: smallerLim(a.maxLength, y.maxLength),
        patterns: mergeStrs(a.patterns, y.patterns),
        notPatterns: mergeStrs(a.notPatterns, y.notPatterns),
        formats: mergeStrs(a.formats, y.formats),
        notFormats: mergeStrs(a.notFormats, y.notFormats),
        content: mergeStrs(a.content, y.content),
      };
      break;
    }
    case "array": {
      const y = b as ArrayAtom;
      const n = Math.max(a.prefix.length, y.prefix.length);
      const prefix: Ref[] = [];
      const prefixLocs: string[] = [];
      for (let i = 0; i < n; i++) {
        prefix.push(cx.and([itemRef(a, i), itemRef(y, i)], itemLoc(a, i)));
        prefixLocs.push(i < a.prefix.length ? itemLoc(a, i) : itemLoc(y, i));
      }
      out = {
        kind: "array",
        ...base,
        prefix,
        prefixLocs,
        rest: cx.and([a.rest, y.rest], a.restLoc),
        restLoc: isTrivialTrue(a.rest) ? y.restLoc : a.restLoc,
        min: largerLim(a.min, y.min),
        max: smallerLim(a.max, y.max),
        unique: a.unique ?? y.unique,
        notUnique: a.notUnique ?? y.notUnique,
        contains: [...a.contains, ...y.contains],
      };
      break;
    }
    case "object": {
      const y = b as ObjectAtom;
      const required = new Map(a.required);
      for (const [k, loc] of y.required) if (!required.has(k)) required.set(k, loc);
      out = {
        kind: "object",
        ...base,
        parts: [...a.parts, ...y.parts],
        propertyNames: [...a.propertyNames, ...y.propertyNames],
        required,
        min: largerLim(a.min, y.min),
        max: smallerLim(a.max, y.max),
        dependentRequired: [...a.dependentRequired, ...y.dependentRequired],
        dependentSchemas: [...a.dependentSchemas, ...y.dependentSchemas],
      };
      break;
    }
  }
  return boundsEmpty(out) ? undefined : out;
}

/** Adds atoms to a union, dropping duplicates and everything an unconstrained atom of the same type covers. */
export function unionNorms(...norms: Norm[]): Norm {
  const full = new Set<JsonType>();
  for (const n of norms) for (const a of n) if (isUnconstrained(a)) full.add(atomType(a));
  const out: Atom[] = [];
  const seenFull = new Set<JsonType>();
  for (const n of norms) {
    for (const a of n) {
      const t = atomType(a);
      if (full.has(t)) {
        if (isUnconstrained(a) && !seenFull.has(t)) {
          seenFull.add(t);
          out.push(a);
        }
        continue;
      }
      if (a.kind === "const" && out.some((x) => x.kind === "const" && jsonEqual(x.value, a.value))) continue;
      if (out.includes(a)) continue;
      out.push(a);
    }
  }
  return out;
}

/** The intersection of two unions (distributed atom by atom). */
export function intersectNorms(cx: Ctx, x: Norm, y: Norm): Norm {
  if (x.length === 0 || y.length === 0) return [];
  const out: Atom[] = [];
  for (const a of x) {
    for (const b of y) {
      const c = intersectAtoms(cx, a, b);
      if (c) out.push(c);
    }
    if (out.length > maxAtoms) {
      cx.undecidable({ kind: "UNDECIDABLE_TOO_COMPLEX", subLoc: a.loc, superLoc: a.loc });
      break;
    }
  }
  return unionNorms(out);
}

/** How many atoms a folded complement may have before it is kept as subtracted sets instead. */
const foldLimit = 32;

/**
 * The complement of a union: every JSON value it does not accept. Per type, a complement that folds into
 * one atom is kept folded (`not: {maxLength: 5}` becomes `minLength: 6`); otherwise the type is kept as
 * its full atom minus the union's atoms of that type. That is exact, and it keeps every complement at one
 * atom per type, so conjunctions of negations (`not`, `if`/`then`/`else`) never multiply atoms.
 */
export function complementNorm(cx: Ctx, n: Norm, loc: string): Norm {
  let folded: Norm | undefined = fullNorm(loc);
  for (const a of n) {
    const next: Atom[] = [];
    const pieces = complementAtom(cx, a);
    for (const x of folded) {
      for (const piece of pieces) {
        const both = intersectAtoms(cx, x, piece);
        if (both) next.push(both);
      }
      if (next.length > foldLimit) break;
    }
    if (next.length > foldLimit) {
      folded = undefined;
      break;
    }
    folded = unionNorms(next);
    if (folded.length === 0) break;
  }
  return jsonTypes.flatMap((t): Atom[] => {
    const mine = folded?.filter((a) => atomType(a) === t);
    if (mine && mine.length <= 1) return mine;
    const ofType = n.filter((a) => atomType(a) === t);
    if (ofType.some(isUnconstrained)) return [];
    return ofType.length ? [{ ...fullAtom(t, loc), negs: ofType }] : [fullAtom(t, loc)];
  });
}

function withNeg(type: JsonType, neg: Atom, loc: string): Atom {
  return { ...fullAtom(type, loc), negs: [neg] };
}

/** The complement of one atom, folded into constraints where a constraint has a simple negation. */
export function complementAtom(cx: Ctx, a: Atom): Norm {
  const type = atomType(a);
  const out: Atom[] = jsonTypes.filter((t) => t !== type).map((t) => fullAtom(t, a.loc));
  if (a.kind === "const") {
    out.push({ ...fullAtom(type, a.loc), notValues: [a.value] });
    return out;
  }
  if (isUnconstrained(a)) return out;
  const full = fullAtom(type, a.loc);
  const piece = (patch: object): void => {
    out.push({ ...full, ...patch });
  };
  for (const v of a.notValues) {
    const c = constAtom(v, a.loc);
    if (c) out.push(c);
  }
  out.push(...a.negs);
  for (const o of a.opaque) out.push(withNeg(type, { ...full, opaque: [o] }, o.loc));
  switch (a.kind) {
    case "null":
    case "boolean":
      break;
    case "number":
      if (a.integer) piece({ notMultipleOf: [{ value: 1, loc: a.integer }] });
      if (a.min) piece({ max: { ...a.min, exclusive: !a.min.exclusive } });
      if (a.max) piece({ min: { ...a.max, exclusive: !a.max.exclusive } });
      for (const m of a.multipleOf) piece({ notMultipleOf: [m] });
      for (const m of a.notMultipleOf) piece({ multipleOf: [m] });
      break;
    case "string":
      if (a.minLength && a.minLength.value > 0)
        piece({ maxLength: { ...a.minLength, value: a.minLength.value - 1 } });
      if (a.maxLength) piece({ minLength: { ...a.maxLength, value: a.maxLength.value + 1 } });
      for (const p of a.patterns) piece({ notPatterns: [p] });
      for (const p of a.notPatterns) piece({ patterns: [p] });
      for (const f of a.formats) piece({ notFormats: [f] });
      for (const f of a.notFormats) piece({ formats: [f] });
      for (const c of a.content) out.push(withNeg(type, { ...full, content: [c] } as Atom, c.loc));
      break;
    case "array": {
      if (a.min && a.min.value > 0) piece({ max: { ...a.min, value: a.min.value - 1 } });
      if (a.max) piece({ min: { ...a.max, value: a.max.value + 1 } });
      if (a.unique) piece({ notUnique: a.unique });
      if (a.notUnique) piece({ unique: a.notUnique });
      for (const c of a.contains) {
        if (c.min > 0) piece({ contains: [{ ...c, min: 0, max: c.min - 1 }] });
        if (Number.isFinite(c.max)) piece({ contains: [{ ...c, min: c.max + 1, max: Infinity }] });
      }
      a.prefix.forEach((ref, i) => {
        if (isTrivialTrue(ref)) return;
        const prefix = a.prefix
          .map((_, j) => (j === i ? cx.not(ref, itemLoc(a, i)) : TRUE_REF))
          .slice(0, i + 1);
        piece({
          min: { value: i + 1, loc: itemLoc(a, i) },
          prefix,
          prefixLocs: a.prefixLocs.slice(0, i + 1),
        });
      });
      if (!isTrivialTrue(a.rest)) {
        if (a.prefix.length === 0) {
          piece({ contains: [{ ref: cx.not(a.rest, a.restLoc), min: 1, max: Infinity, loc: a.restLoc }] });
        } else {
          const only: ArrayAtom = {
            ...(full as ArrayAtom),
            prefix: a.prefix.map(() => TRUE_REF),
            prefixLocs: a.prefixLocs,
            rest: a.rest,
            restLoc: a.restLoc,
          };
          out.push(withNeg(type, only, a.restLoc));
        }
      }
      break;
    }
    case "object": {
      if (a.min && a.min.value > 0) piece({ max: { ...a.min, value: a.min.value - 1 } });
      if (a.max) piece({ min: { ...a.max, value: a.max.value + 1 } });
      for (const [k, loc] of a.required) {
        piece({ parts: [{ ...openPart(loc), props: new Map([[k, FALSE_REF]]) }] });
      }
      for (const part of a.parts) {
        for (const [k, ref] of part.props) {
          if (isTrivialTrue(ref)) continue;
          const loc = `${part.loc}/properties/${k}`;
          piece({
            required: new Map([[k, loc]]),
            parts: [{ ...openPart(part.loc), props: new Map([[k, cx.not(ref, loc)]]) }],
          });
        }
        if (part.patterns.length || !isTrivialTrue(part.additional)) {
          const only: ObjectAtom = { ...(full as ObjectAtom), parts: [{ ...part, props: new Map() }] };
          out.push(withNeg(type, only, part.loc));
        }
      }
      if (a.propertyNames.some((r) => !isTrivialTrue(r))) {
        out.push(withNeg(type, { ...(full as ObjectAtom), propertyNames: a.propertyNames }, a.loc));
      }
      for (const d of a.dependentRequired) {
        for (const dep of d.deps) {
          piece({
            required: new Map([[d.key, d.loc]]),
            parts: [{ ...openPart(d.loc), props: new Map([[dep, FALSE_REF]]) }],
          });
        }
      }
      for (const d of a.dependentSchemas) {
        piece({
          required: new Map([[d.key, d.loc]]),
          dependentSchemas: [{ key: d.key, ref: cx.not(d.ref, d.loc), loc: d.loc }],
        });
      }
      break;
    }
  }
  return out;
}

/**
 * An atom with its `negs` folded into constraints (P ∧ ¬N₁ ∧ ¬N₂... as a union of atoms), or undefined
 * when that would exceed `limit` atoms.
 */
export function foldNegs(cx: Ctx, a: TypedAtom, limit = 64): Norm | undefined {
  let acc: Norm = [{ ...a, negs: [] }];
  for (const n of a.negs) {
    const next: Atom[] = [];
    for (const x of acc) {
      for (const piece of complementAtom(cx, n)) {
        const both = intersectAtoms(cx, x, piece);
        if (both) next.push(both);
      }
      if (next.length > limit) return undefined;
    }
    acc = unionNorms(next);
  }
  return acc;
}

/** A copy of an object atom that also requires `key`. */
export function withRequired(a: ObjectAtom, key: string, loc: string): ObjectAtom {
  const required = new Map(a.required);
  if (!required.has(key)) required.set(key, loc);
  return { ...a, required };
}
