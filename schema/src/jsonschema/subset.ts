import { FALSE_REF, TRUE_REF } from "./constants.js";
import {
  boundsEmpty,
  foldNegs,
  fullAtom,
  intersectAtoms,
  intersectNorms,
  isTrivialTrue,
  isUnconstrained,
  itemLoc,
  itemRef,
  openPart,
  unionNorms,
  withRequired,
} from "./atoms.js";
import { firstRejection, reasonFromRejection, rejection, valueRefs } from "./evaluate.js";
import { canonicalJson, childPointer, isJsonObject, jsonEqual, showValue } from "./json-values.js";
import { fractionIsMultipleOf, fractionToNumber, isMultipleOf, lcmOf, type Fraction } from "./numbers.js";
import { patternsDisjoint } from "./regex.js";
import type {
  ArrayAtom,
  Atom,
  Bound,
  Contains,
  Ctx,
  Norm,
  NumberAtom,
  ObjectAtom,
  ObjectPart,
  Reason,
  Ref,
  StringAtom,
  TypedAtom,
} from "./types.js";
import { atomType } from "./types.js";

/** How many values an atom may have for the checker to compare it value by value. */
const enumerationLimit = 256;

type Source =
  | { readonly kind: "pattern"; readonly source: string; readonly ref: Ref; readonly loc: string }
  | { readonly kind: "additional"; readonly ref: Ref; readonly loc: string };

function sourcesOf(part: ObjectPart): Source[] {
  return [
    ...part.patterns.map((p) => ({ kind: "pattern" as const, source: p.source, ref: p.ref, loc: p.loc })),
    { kind: "additional" as const, ref: part.additional, loc: part.additionalLoc },
  ];
}

/** Whether keys of two key classes (a pattern, or "matches none of the part's patterns") can coincide. */
function overlap(sa: Source, sb: Source, alpha: ObjectPart, beta: ObjectPart): "yes" | "no" | "unknown" {
  if (sa.kind === "pattern" && sb.kind === "pattern") {
    if (sa.source === sb.source) return "yes";
    return patternsDisjoint(sa.source, sb.source) ? "no" : "unknown";
  }
  if (sa.kind === "pattern") {
    const qs = beta.patterns.map((p) => p.source);
    if (qs.includes(sa.source)) return "no";
    return qs.every((q) => patternsDisjoint(sa.source, q)) ? "yes" : "unknown";
  }
  if (sb.kind === "pattern") {
    const ps = alpha.patterns.map((p) => p.source);
    if (ps.includes(sb.source)) return "no";
    return ps.every((p) => patternsDisjoint(p, sb.source)) ? "yes" : "unknown";
  }
  return "yes";
}

function typeText(a: Atom): string {
  if (a.kind === "const") return `the value ${showValue(a.value)}`;
  if (a.kind === "number") return a.integer ? "integers" : "numbers";
  if (a.kind === "null") return "null";
  return `${a.kind}s`;
}

function boundText(b: Bound | undefined, side: "min" | "max"): string {
  if (!b) return side === "min" ? "no minimum" : "no maximum";
  return `${side === "min" ? (b.exclusive ? ">" : ">=") : b.exclusive ? "<" : "<="} ${b.value}`;
}

function dedupe(reasons: Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const key = `${r.kind}|${r.subLoc}|${r.superLoc}|${r.name ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One TYPE reason per place in the super-schema, listing every type it no longer accepts. */
function mergeTypeReasons(reasons: Reason[]): Reason[] {
  const byLoc = new Map<string, Reason>();
  const out: Reason[] = [];
  for (const r of reasons) {
    if (r.kind !== "TYPE") {
      out.push(r);
      continue;
    }
    const prior = byLoc.get(r.superLoc);
    if (!prior) {
      byLoc.set(r.superLoc, r);
      out.push(r);
      continue;
    }
    const merged = { ...prior, subText: `${prior.subText ?? ""}, ${r.subText ?? ""}` };
    byLoc.set(r.superLoc, merged);
    out[out.indexOf(prior)] = merged;
  }
  return out;
}

function score(reasons: readonly Reason[]): number {
  return reasons.reduce((n, r) => n + (r.kind.startsWith("UNDECIDABLE") ? 3 : 1), 0);
}

const canonicalCache = new WeakMap<object, string>();

function canonicalOf(node: unknown): string {
  if (!isJsonObject(node) && !Array.isArray(node)) return canonicalJson(node);
  let text = canonicalCache.get(node);
  if (text === undefined) {
    text = canonicalJson(node);
    canonicalCache.set(node, text);
  }
  return text;
}

/**
 * Decides `a ⊆ b` for normalized schemas (every document `a` accepts, `b` accepts) and explains failures.
 *
 * Recursion through `$ref` is coinductive: a pair already being compared is assumed contained, which is sound
 * for finite JSON documents. Results that leaned on an assumption still open higher up are not cached.
 */
export class SubsetChecker {
  private readonly done = new Map<string, Reason[]>();
  private readonly stack = new Map<string, number>();
  private minAssumed = Infinity;
  private readonly emptyMemo = new WeakMap<Atom, boolean>();
  private readonly emptyBusy = new Set<Atom>();
  private readonly emptyRefMemo = new Map<number, boolean>();
  private readonly emptyRefBusy = new Set<number>();
  private folding = false;

  constructor(private readonly cx: Ctx) {}

  /**
   * Why `a ⊄ b`; empty when `a ⊆ b`. `where` names the place of `a` when `a` is an implicit `true` (an
   * absent `items` or `additionalProperties`), which has no location of its own.
   */
  refs(a: Ref, b: Ref, where?: string): Reason[] {
    const out = this.compareRefs(a, b);
    if (where === undefined || !isTrivialTrue(a) || a.loc === where) return out;
    return out.map((r) => (r.subLoc === a.loc ? { ...r, subLoc: where } : r));
  }

  private compareRefs(a: Ref, b: Ref): Reason[] {
    if (a.id === b.id || b === TRUE_REF || a === FALSE_REF) return [];
    const key = `${a.id}|${b.id}`;
    const hit = this.done.get(key);
    if (hit) return hit;
    const open = this.stack.get(key);
    if (open !== undefined) {
      this.minAssumed = Math.min(this.minAssumed, open);
      return [];
    }
    if (this.sameSchema(a, b)) return [];
    if (!this.cx.tick()) return [{ kind: "UNDECIDABLE_TOO_COMPLEX", subLoc: a.loc, superLoc: b.loc }];
    const depth = this.stack.size;
    if (depth >= this.cx.maxNesting) this.tooDeep(a, b);
    this.stack.set(key, depth);
    const saved = this.minAssumed;
    this.minAssumed = Infinity;
    const out = this.norms(this.cx.norm(a), this.cx.norm(b), b.loc);
    this.stack.delete(key);
    const leaned = this.minAssumed < depth;
    if (!leaned) this.done.set(key, out);
    this.minAssumed = Math.min(saved, leaned ? this.minAssumed : Infinity);
    return out;
  }

  /**
   * Gives up on a comparison nested too deep, located on the side whose schemas keep changing down the
   * open comparisons (a long chain of $refs), not on one that recurses into itself.
   */
  private tooDeep(a: Ref, b: Ref): never {
    const subs = new Set<string>();
    const supers = new Set<string>();
    for (const key of this.stack.keys()) {
      const [x, y] = key.split("|");
      subs.add(x!);
      supers.add(y!);
    }
    const deep = subs.size >= supers.size ? a : b;
    this.cx.nestedTooDeep(deep.loc, deep.kind === "schema" ? deep.doc.side : undefined);
  }

  /** Identical schema text without references (whose targets could differ) is trivially contained. */
  private sameSchema(a: Ref, b: Ref): boolean {
    if (a.kind !== "schema" || b.kind !== "schema") return false;
    if (a.doc.draft !== b.doc.draft) return false;
    if (a.node === b.node && a.doc === b.doc) return true;
    const ta = canonicalOf(a.node);
    return ta === canonicalOf(b.node) && !/"\$(ref|dynamicRef|recursiveRef)"/.test(ta);
  }

  /** Why the union `xs` is not inside the union `ys`. */
  norms(xs: Norm, ys: Norm, superLoc: string): Reason[] {
    const out: Reason[] = [];
    for (const a of xs) {
      out.push(
        ...this.atomInUnion(
          a,
          ys.filter((b) => atomType(b) === atomType(a)),
          superLoc,
        ),
      );
    }
    return dedupe(mergeTypeReasons(out));
  }

  /** Why atom `a` is not inside the union of same-typed atoms `bs`. */
  atomInUnion(a: Atom, bs: readonly Atom[], superLoc: string): Reason[] {
    if (!this.cx.tick()) return [{ kind: "UNDECIDABLE_TOO_COMPLEX", subLoc: a.loc, superLoc }];
    if (this.isEmpty(a)) return [];
    if (a.kind === "const") {
      const why = firstRejection(this.cx, bs, a.value);
      if (!why) return [];
      if (!bs.length) return [{ kind: "TYPE", subLoc: a.loc, superLoc, subText: typeText(a) }];
      return [reasonFromRejection(why, a.loc, a.value)];
    }
    if (!bs.length) return [{ kind: "TYPE", subLoc: a.loc, superLoc, subText: typeText(a) }];
    if (a.kind === "object") {
      const active = this.activate(a);
      if (active) return dedupe(active.flatMap((x) => this.atomInUnion(x, bs, superLoc)));
    }
    let best: Reason[] | undefined;
    for (const b of bs) {
      const r = this.atomAtom(a, b);
      if (!r.length) return [];
      if (!best || score(r) < score(best)) best = r;
    }
    const values = this.enumerate(a);
    if (values && values.every((v) => bs.some((b) => !rejection(this.cx, b, v)))) return [];
    if (a.negs.length && !this.folding) {
      // the subtracted sets were ignored above (the sub-schema read larger than it is); fold them in and retry
      const folded = foldNegs(this.cx, a);
      if (folded) {
        this.folding = true;
        const ok = folded.every((x) => this.atomInUnion(x, bs, superLoc).length === 0);
        this.folding = false;
        if (ok) return [];
      }
    }
    return best ?? [];
  }

  private atomAtom(a: TypedAtom, b: Atom): Reason[] {
    if (b.kind === "const") {
      return [
        { kind: "ENUM", subLoc: a.loc, superLoc: b.loc, subText: typeText(a), superText: showValue(b.value) },
      ];
    }
    const out: Reason[] = [];
    for (const n of b.negs) {
      const both = intersectAtoms(this.cx, a, n);
      if (both && !this.isEmpty(both)) out.push({ kind: "EXCLUSION", subLoc: a.loc, superLoc: n.loc });
    }
    for (const v of b.notValues) {
      if (!rejection(this.cx, a, v))
        out.push({ kind: "EXCLUSION", subLoc: a.loc, superLoc: b.loc, subText: showValue(v) });
    }
    for (const o of b.opaque) {
      if (!a.opaque.some((x) => x.keyword === o.keyword && jsonEqual(x.value, o.value))) {
        out.push({ kind: "UNDECIDABLE_KEYWORD", subLoc: a.loc, superLoc: o.loc, name: o.keyword });
      }
    }
    switch (a.kind) {
      case "null":
      case "boolean":
        break;
      case "number":
        out.push(...this.numbers(a, b as NumberAtom));
        break;
      case "string":
        out.push(...this.strings(a, b as StringAtom));
        break;
      case "array":
        out.push(...this.arrays(a, b as ArrayAtom));
        break;
      case "object":
        out.push(...this.objects(a, b as ObjectAtom));
        break;
    }
    return dedupe(out);
  }

  /**
   * Applies the `dependentSchemas` whose key an object atom requires (they hold for all its documents), or
   * undefined when none applies.
   */
  private activate(a: ObjectAtom): Norm | undefined {
    const required = this.closure(a, a.required.keys());
    const active = a.dependentSchemas.filter((d) => required.has(d.key));
    if (!active.length) return undefined;
    const rest: ObjectAtom = {
      ...a,
      dependentSchemas: a.dependentSchemas.filter((d) => !required.has(d.key)),
    };
    return active.reduce<Norm>((acc, d) => intersectNorms(this.cx, acc, this.cx.norm(d.ref)), [rest]);
  }

  private step(a: NumberAtom): Fraction | undefined {
    return lcmOf([...a.multipleOf.map((m) => m.value), ...(a.integer ? [1] : [])]);
  }

  private numbers(a: NumberAtom, b: NumberAtom): Reason[] {
    const out: Reason[] = [];
    const step = this.step(a);
    const integral = a.integer !== null || (step !== undefined && step.d === 1n);
    if (b.integer && !integral) {
      out.push({ kind: "INTEGER", subLoc: a.loc, superLoc: b.integer, subText: "numbers with a fraction" });
    }
    let lo = a.min;
    let hi = a.max;
    if (integral && lo)
      lo = { ...lo, value: lo.exclusive ? Math.floor(lo.value) + 1 : Math.ceil(lo.value), exclusive: false };
    if (integral && hi)
      hi = { ...hi, value: hi.exclusive ? Math.ceil(hi.value) - 1 : Math.floor(hi.value), exclusive: false };
    if (
      b.min &&
      !(lo && (lo.value > b.min.value || (lo.value === b.min.value && (!b.min.exclusive || lo.exclusive))))
    ) {
      out.push({
        kind: "MINIMUM",
        subLoc: a.min?.loc ?? a.loc,
        superLoc: b.min.loc,
        subText: boundText(a.min, "min"),
        superText: boundText(b.min, "min"),
      });
    }
    if (
      b.max &&
      !(hi && (hi.value < b.max.value || (hi.value === b.max.value && (!b.max.exclusive || hi.exclusive))))
    ) {
      out.push({
        kind: "MAXIMUM",
        subLoc: a.max?.loc ?? a.loc,
        superLoc: b.max.loc,
        subText: boundText(a.max, "max"),
        superText: boundText(b.max, "max"),
      });
    }
    for (const m of b.multipleOf) {
      if (!step || !fractionIsMultipleOf(step, m.value)) {
        out.push({
          kind: "MULTIPLE_OF",
          subLoc: a.multipleOf[0]?.loc ?? a.loc,
          superLoc: m.loc,
          subText: step ? `multiples of ${fractionToNumber(step)}` : "any number",
          superText: `multiples of ${m.value}`,
        });
      }
    }
    for (const m of b.notMultipleOf) {
      if (!a.notMultipleOf.some((x) => isMultipleOf(m.value, x.value))) {
        out.push({ kind: "EXCLUSION", subLoc: a.loc, superLoc: m.loc, subText: `multiples of ${m.value}` });
      }
    }
    return out;
  }

  private strings(a: StringAtom, b: StringAtom): Reason[] {
    const out: Reason[] = [];
    const aMin = a.minLength?.value ?? 0;
    if (b.minLength && aMin < b.minLength.value) {
      out.push({
        kind: "MIN_LENGTH",
        subLoc: a.minLength?.loc ?? a.loc,
        superLoc: b.minLength.loc,
        subText: String(aMin),
        superText: String(b.minLength.value),
      });
    }
    if (b.maxLength && (!a.maxLength || a.maxLength.value > b.maxLength.value)) {
      out.push({
        kind: "MAX_LENGTH",
        subLoc: a.maxLength?.loc ?? a.loc,
        superLoc: b.maxLength.loc,
        subText: a.maxLength ? String(a.maxLength.value) : "unlimited",
        superText: String(b.maxLength.value),
      });
    }
    const subPatterns = a.patterns.map((p) => p.value).join(", ");
    for (const p of b.patterns) {
      if (a.patterns.some((x) => x.value === p.value)) continue;
      out.push({
        kind: a.patterns.length ? "UNDECIDABLE_PATTERN" : "PATTERN",
        subLoc: a.patterns[0]?.loc ?? a.loc,
        superLoc: p.loc,
        name: p.value,
        ...(subPatterns ? { subText: subPatterns } : {}),
      });
    }
    for (const p of b.notPatterns) {
      if (a.notPatterns.some((x) => x.value === p.value)) continue;
      out.push({
        kind: a.patterns.length ? "UNDECIDABLE_PATTERN" : "EXCLUSION",
        subLoc: a.loc,
        superLoc: p.loc,
        name: p.value,
      });
    }
    for (const f of b.formats) {
      if (a.formats.some((x) => x.value === f.value)) continue;
      out.push({
        kind: "FORMAT",
        subLoc: a.formats[0]?.loc ?? a.loc,
        superLoc: f.loc,
        name: f.value,
        ...(a.formats.length ? { subText: a.formats.map((x) => x.value).join(", ") } : {}),
      });
    }
    for (const f of b.notFormats) {
      if (!a.notFormats.some((x) => x.value === f.value))
        out.push({ kind: "EXCLUSION", subLoc: a.loc, superLoc: f.loc, name: f.value });
    }
    for (const c of b.content) {
      if (a.content.some((x) => x.value === c.value)) continue;
      const keyword = c.value.slice(0, c.value.indexOf("="));
      const sub = a.content.find((x) => x.value.startsWith(`${keyword}=`));
      out.push({
        kind: "CONTENT",
        subLoc: sub?.loc ?? a.loc,
        superLoc: c.loc,
        name: c.value,
        ...(sub ? { subText: sub.value } : {}),
      });
    }
    return out;
  }

  /** The most items an array atom admits (a closed tuple or an impossible position caps it). */
  arrayMax(a: ArrayAtom): number {
    let max = a.max?.value ?? Infinity;
    for (let i = 0; i < a.prefix.length && i < max; i++) {
      if (this.isEmptyRef(itemRef(a, i))) max = i;
    }
    if (max > a.prefix.length && this.isEmptyRef(a.rest)) max = a.prefix.length;
    return max;
  }

  private arrays(a: ArrayAtom, b: ArrayAtom): Reason[] {
    const out: Reason[] = [];
    const aMax = this.arrayMax(a);
    const aMin = a.min?.value ?? 0;
    const bMax = b.max?.value ?? Infinity;
    const maxText = Number.isFinite(aMax) ? String(aMax) : "unlimited";
    if (b.min && aMin < b.min.value) {
      out.push({
        kind: "MIN_ITEMS",
        subLoc: a.min?.loc ?? a.loc,
        superLoc: b.min.loc,
        subText: String(aMin),
        superText: String(b.min.value),
      });
    }
    if (b.max && aMax > bMax) {
      out.push({
        kind: "MAX_ITEMS",
        subLoc: a.max?.loc ?? a.loc,
        superLoc: b.max.loc,
        subText: maxText,
        superText: String(bMax),
      });
    }
    const n = Math.max(a.prefix.length, b.prefix.length);
    let tupleCap = Infinity;
    for (let i = 0; i < n && i < aMax; i++) {
      const bi = itemRef(b, i);
      if (this.isEmptyRef(bi)) {
        tupleCap = i;
        if (bMax > i)
          out.push({
            kind: "MAX_ITEMS",
            subLoc: itemLoc(a, i),
            superLoc: itemLoc(b, i),
            subText: maxText,
            superText: String(i),
          });
        break;
      }
      out.push(...this.refs(itemRef(a, i), bi, itemLoc(a, i)));
    }
    if (aMax > n && tupleCap === Infinity) {
      if (this.isEmptyRef(b.rest)) {
        if (bMax > n)
          out.push({
            kind: "MAX_ITEMS",
            subLoc: a.restLoc,
            superLoc: b.restLoc,
            subText: maxText,
            superText: String(n),
          });
      } else {
        out.push(...this.refs(a.rest, b.rest, a.restLoc));
      }
    }
    if (b.unique && !a.unique && aMax > 1)
      out.push({ kind: "UNIQUE_ITEMS", subLoc: a.loc, superLoc: b.unique });
    if (b.notUnique && !a.notUnique) out.push({ kind: "EXCLUSION", subLoc: a.loc, superLoc: b.notUnique });
    for (const c of b.contains) {
      if (c.min > 0 && !this.containsAtLeast(a, c, aMin)) {
        out.push({
          kind: "CONTAINS",
          subLoc: a.contains[0]?.loc ?? a.loc,
          superLoc: c.loc,
          superText: String(c.min),
        });
      }
      if (Number.isFinite(c.max) && !this.containsAtMost(a, c, aMax)) {
        out.push({
          kind: "MAX_CONTAINS",
          subLoc: a.contains[0]?.loc ?? a.loc,
          superLoc: c.loc,
          superText: String(c.max),
        });
      }
    }
    return out;
  }

  /** Whether every array of `a` has at least `c.min` items matching `c.ref`. */
  private containsAtLeast(a: ArrayAtom, c: Contains, aMin: number): boolean {
    if (a.contains.some((x) => x.min >= c.min && this.subsetRef(x.ref, c.ref))) return true;
    let guaranteed = 0;
    const upTo = Math.min(aMin, a.prefix.length + c.min);
    for (let i = 0; i < upTo && guaranteed < c.min; i++) {
      if (this.subsetRef(itemRef(a, i), c.ref)) guaranteed += 1;
    }
    return guaranteed >= c.min;
  }

  /** Whether no array of `a` has more than `c.max` items matching `c.ref`. */
  private containsAtMost(a: ArrayAtom, c: Contains, aMax: number): boolean {
    if (aMax <= c.max) return true;
    if (a.contains.some((x) => x.max <= c.max && this.subsetRef(c.ref, x.ref))) return true;
    let possible = 0;
    for (let i = 0; i < a.prefix.length && i < aMax; i++) {
      if (!this.isEmptyRef(this.cx.and([itemRef(a, i), c.ref], c.loc))) possible += 1;
    }
    if (aMax > a.prefix.length && !this.isEmptyRef(this.cx.and([a.rest, c.ref], c.loc))) return false;
    return possible <= c.max;
  }

  private partsOf(a: ObjectAtom): readonly ObjectPart[] {
    return a.parts.length ? a.parts : [openPart(a.loc)];
  }

  private valueRef(a: ObjectAtom, k: string): Ref {
    return this.cx.and(valueRefs(this.cx, a, k), childPointer(a.loc, "properties", k));
  }

  /** Where key `k` is governed in an object atom (its property, pattern or additionalProperties). */
  private keyLoc(a: ObjectAtom, k: string): string {
    for (const part of a.parts) {
      if (part.props.has(k)) return childPointer(part.loc, "properties", k);
    }
    const refs = valueRefs(this.cx, a, k);
    return refs.find((r) => !isTrivialTrue(r))?.loc ?? childPointer(a.loc, "properties", k);
  }

  /** Whether `a` leaves key `k` to an open content model: no property, pattern or additional schema names it. */
  private openFor(a: ObjectAtom, k: string): boolean {
    if (a.parts.some((p) => p.props.has(k))) return false;
    return valueRefs(this.cx, a, k).every((r) => isTrivialTrue(r));
  }

  /** Whether an object of `a` may have key `k`. */
  private keyAllowed(a: ObjectAtom, k: string): boolean {
    for (const pn of a.propertyNames) if (!this.cx.accepts(this.cx.norm(pn), k)) return false;
    return !this.isEmptyRef(this.valueRef(a, k));
  }

  /** Required keys plus those `dependentRequired` makes required in turn. */
  private closure(a: ObjectAtom, keys: Iterable<string>): Set<string> {
    const out = new Set(keys);
    let grew = true;
    while (grew) {
      grew = false;
      for (const d of a.dependentRequired) {
        if (!out.has(d.key)) continue;
        for (const dep of d.deps) {
          if (!out.has(dep)) {
            out.add(dep);
            grew = true;
          }
        }
      }
    }
    return out;
  }

  /** The finite set of keys `propertyNames` allows, or undefined when it allows infinitely many. */
  private finiteKeys(a: ObjectAtom): string[] | undefined {
    if (!a.propertyNames.length) return undefined;
    const names = this.cx
      .norm(this.cx.and(a.propertyNames, a.loc))
      .filter((x) => x.kind === "const" || x.kind === "string");
    const keys: string[] = [];
    for (const atom of names) {
      const values = this.enumerate(atom);
      if (!values) return undefined;
      for (const v of values) if (typeof v === "string") keys.push(v);
    }
    return keys;
  }

  /** Whether `a` admits keys beyond its named properties. */
  private hasGenericKeys(a: ObjectAtom): boolean {
    if (this.finiteKeys(a)) return false;
    return this.partsOf(a).every((p) => sourcesOf(p).some((s) => !this.isEmptyRef(s.ref)));
  }

  private namedKeys(a: ObjectAtom, b: ObjectAtom, finite: readonly string[] | undefined): Set<string> {
    const keys = new Set<string>(finite ?? []);
    for (const x of [a, b]) {
      for (const p of x.parts) for (const k of p.props.keys()) keys.add(k);
      for (const k of x.required.keys()) keys.add(k);
      for (const d of x.dependentRequired) {
        keys.add(d.key);
        for (const dep of d.deps) keys.add(dep);
      }
      for (const d of x.dependentSchemas) keys.add(d.key);
    }
    return keys;
  }

  private objects(a: ObjectAtom, b: ObjectAtom): Reason[] {
    const out: Reason[] = [];
    const finite = this.finiteKeys(a);
    const named = this.namedKeys(a, b, finite);
    let allowedNamed = 0;
    for (const k of named) {
      if (!this.keyAllowed(a, k)) continue;
      allowedNamed += 1;
      const badName = b.propertyNames.find((pn) => !this.cx.accepts(this.cx.norm(pn), k));
      if (badName) {
        out.push({ kind: "PROPERTY", subLoc: this.keyLoc(a, k), superLoc: badName.loc, name: k });
        continue;
      }
      const vb = this.valueRef(b, k);
      if (this.isEmptyRef(vb)) {
        out.push({ kind: "PROPERTY", subLoc: this.keyLoc(a, k), superLoc: this.keyLoc(b, k), name: k });
        continue;
      }
      const nested = this.refs(this.valueRef(a, k), vb, this.keyLoc(a, k));
      if (nested.length && this.openFor(a, k) && b.parts.some((p) => p.props.has(k))) {
        // the common case of an open content model: name it and say why, instead of listing the types
        out.push({ kind: "OPEN_CONTENT_PROPERTY", subLoc: a.loc, superLoc: this.keyLoc(b, k), name: k });
        continue;
      }
      out.push(...nested);
    }
    const required = this.closure(a, a.required.keys());
    for (const [k, loc] of b.required) {
      if (!required.has(k)) out.push({ kind: "REQUIRED", subLoc: a.loc, superLoc: loc, name: k });
    }
    const generic = !finite && this.hasGenericKeys(a);
    if (generic) {
      out.push(...this.genericValues(a, b));
      out.push(...this.genericNames(a, b));
    }
    const aMin = Math.max(a.min?.value ?? 0, required.size);
    if (b.min && aMin < b.min.value) {
      out.push({
        kind: "MIN_PROPERTIES",
        subLoc: a.min?.loc ?? a.loc,
        superLoc: b.min.loc,
        subText: String(aMin),
        superText: String(b.min.value),
      });
    }
    const aMax = Math.min(a.max?.value ?? Infinity, generic ? Infinity : allowedNamed);
    if (b.max && aMax > b.max.value) {
      out.push({
        kind: "MAX_PROPERTIES",
        subLoc: a.max?.loc ?? a.loc,
        superLoc: b.max.loc,
        subText: Number.isFinite(aMax) ? String(aMax) : "unlimited",
        superText: String(b.max.value),
      });
    }
    for (const d of b.dependentRequired) {
      if (!this.keyAllowed(a, d.key)) continue;
      const have = this.closure(a, [...a.required.keys(), d.key]);
      const missing = d.deps.find((x) => !have.has(x));
      if (missing !== undefined && !this.isEmpty(withRequired(a, d.key, d.loc))) {
        out.push({
          kind: "DEPENDENT_REQUIRED",
          subLoc: a.loc,
          superLoc: d.loc,
          name: `${d.key} → ${missing}`,
        });
      }
    }
    for (const d of b.dependentSchemas) {
      if (!this.keyAllowed(a, d.key)) continue;
      const target = this.cx.norm(d.ref).filter((x) => atomType(x) === "object");
      const withKey = withRequired(a, d.key, d.loc);
      if (target.length === 0) {
        // the dependency forbids the key outright (`"foo": false`): name it so, not as a type change
        if (!this.isEmpty(withKey))
          out.push({ kind: "DEPENDENT_SCHEMA", subLoc: a.loc, superLoc: d.loc, name: d.key });
        continue;
      }
      out.push(...this.atomInUnion(withKey, target, d.loc));
    }
    return out;
  }

  private isFullRef(ref: Ref): boolean {
    if (isTrivialTrue(ref)) return true;
    const norm = this.cx.norm(ref);
    return ["null", "boolean", "number", "string", "array", "object"].every((t) =>
      norm.some((x) => atomType(x) === t && isUnconstrained(x)),
    );
  }

  /** Values of keys no property names: each super pattern / additionalProperties against the sub's. */
  private genericValues(a: ObjectAtom, b: ObjectAtom): Reason[] {
    const out: Reason[] = [];
    for (const beta of b.parts) {
      for (const sb of sourcesOf(beta)) {
        if (this.isFullRef(sb.ref)) continue;
        let best: Reason[] | undefined;
        for (const alpha of this.partsOf(a)) {
          const r: Reason[] = [];
          for (const sa of sourcesOf(alpha)) {
            if (this.isEmptyRef(sa.ref)) continue;
            const ov = overlap(sa, sb, alpha, beta);
            if (ov === "no") continue;
            const nested = this.refs(sa.ref, sb.ref, sa.loc);
            if (!nested.length) continue;
            const name = sb.kind === "pattern" ? sb.source : sa.kind === "pattern" ? sa.source : undefined;
            const base = { subLoc: sa.loc, superLoc: sb.loc, ...(name === undefined ? {} : { name }) };
            if (ov === "unknown") r.push({ kind: "UNDECIDABLE_PATTERN_PROPERTIES", ...base });
            else if (this.isEmptyRef(sb.ref)) r.push({ kind: "ADDITIONAL_PROPERTIES", ...base });
            else r.push(...nested);
          }
          if (!r.length) {
            best = [];
            break;
          }
          best ??= r;
        }
        out.push(...(best ?? []));
      }
    }
    return out;
  }

  /** Names of keys no property names must pass the super-schema's `propertyNames`. */
  private genericNames(a: ObjectAtom, b: ObjectAtom): Reason[] {
    if (b.propertyNames.every(isTrivialTrue)) return [];
    const part = this.partsOf(a)[0]!;
    const classes: Atom[] = [];
    for (const s of sourcesOf(part)) {
      if (this.isEmptyRef(s.ref)) continue;
      const str = fullAtom("string", s.loc);
      classes.push(
        s.kind === "pattern" ? ({ ...str, patterns: [{ value: s.source, loc: s.loc }] } as Atom) : str,
      );
    }
    let keys: Norm = unionNorms(classes);
    if (a.propertyNames.length)
      keys = intersectNorms(this.cx, keys, this.cx.norm(this.cx.and(a.propertyNames, a.loc)));
    const superNames = this.cx.norm(this.cx.and(b.propertyNames, b.loc));
    const r = this.norms(keys, superNames, b.propertyNames[0]!.loc);
    return r.length
      ? [
          {
            kind: "PROPERTY_NAMES",
            subLoc: a.propertyNames[0]?.loc ?? a.loc,
            superLoc: b.propertyNames[0]!.loc,
          },
        ]
      : [];
  }

  /** The values of a finite atom (all of them, each checked against the atom), or undefined. */
  enumerate(a: Atom): unknown[] | undefined {
    let candidates: unknown[] | undefined;
    switch (a.kind) {
      case "const":
        return [a.value];
      case "null":
        candidates = [null];
        break;
      case "boolean":
        candidates = [true, false];
        break;
      case "number":
        candidates = this.enumerateNumbers(a);
        break;
      case "string":
        if (a.maxLength?.value === 0) candidates = [""];
        break;
      case "array":
        if (a.max?.value === 0 || this.arrayMax(a) === 0) candidates = [[]];
        break;
      case "object":
        if (a.max?.value === 0 || this.noKeys(a)) candidates = [{}];
        break;
    }
    return candidates?.filter((v) => !rejection(this.cx, a, v));
  }

  private noKeys(a: ObjectAtom): boolean {
    if (this.hasGenericKeys(a)) return false;
    const finite = this.finiteKeys(a) ?? [];
    const named = new Set<string>(finite);
    for (const p of a.parts) for (const k of p.props.keys()) named.add(k);
    for (const k of named) if (this.keyAllowed(a, k)) return false;
    return true;
  }

  private enumerateNumbers(a: NumberAtom): number[] | undefined {
    if (!a.min || !a.max) return undefined;
    const step = this.step(a);
    if (step) {
      const s = fractionToNumber(step);
      const lo = Math.ceil(a.min.value / s);
      const hi = Math.floor(a.max.value / s);
      if (hi - lo + 1 > enumerationLimit) return undefined;
      const out: number[] = [];
      for (let k = lo; k <= hi; k++) out.push(Number(BigInt(k) * step.n) / Number(step.d));
      return out;
    }
    return a.min.value === a.max.value ? [a.min.value] : undefined;
  }

  /** Whether an atom provably accepts nothing. Unknown counts as non-empty, the safe answer. */
  isEmpty(a: Atom): boolean {
    if (a.kind === "const") return false;
    const memo = this.emptyMemo.get(a);
    if (memo !== undefined) return memo;
    if (this.emptyBusy.has(a)) return false;
    this.emptyBusy.add(a);
    const empty = this.computeEmpty(a);
    this.emptyBusy.delete(a);
    this.emptyMemo.set(a, empty);
    return empty;
  }

  private computeEmpty(a: TypedAtom): boolean {
    if (boundsEmpty(a)) return true;
    const values = this.enumerate(a);
    if (values) return values.length === 0;
    switch (a.kind) {
      case "number": {
        const step = this.step(a);
        if (step && a.notMultipleOf.some((m) => fractionIsMultipleOf(step, m.value))) return true;
        break;
      }
      case "array": {
        const aMin = a.min?.value ?? 0;
        for (let i = 0; i < aMin && i <= a.prefix.length; i++)
          if (this.isEmptyRef(itemRef(a, i))) return true;
        for (const c of a.contains) {
          if (c.min > 0 && (this.isEmptyRef(c.ref) || c.min > this.arrayMax(a))) return true;
        }
        break;
      }
      case "object": {
        const required = this.closure(a, a.required.keys());
        if (a.max && required.size > a.max.value) return true;
        for (const k of required) if (!this.keyAllowed(a, k)) return true;
        break;
      }
      case "null":
      case "boolean":
      case "string":
        break;
    }
    if (a.negs.length) {
      const positive = { ...a, negs: [] } as TypedAtom;
      if (this.atomInUnion(positive, a.negs, a.loc).length === 0) return true;
    }
    return false;
  }

  /** Whether a reference provably accepts nothing. */
  isEmptyRef(ref: Ref): boolean {
    if (ref === FALSE_REF) return true;
    if (isTrivialTrue(ref)) return false;
    const memo = this.emptyRefMemo.get(ref.id);
    if (memo !== undefined) return memo;
    if (this.emptyRefBusy.has(ref.id)) return false;
    this.emptyRefBusy.add(ref.id);
    const empty = this.cx.norm(ref).every((x) => this.isEmpty(x));
    this.emptyRefBusy.delete(ref.id);
    this.emptyRefMemo.set(ref.id, empty);
    return empty;
  }

  /** `a ⊆ b`, without reasons. */
  subsetRef(a: Ref, b: Ref): boolean {
    return this.refs(a, b).length === 0;
  }
}
