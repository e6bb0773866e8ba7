import { FALSE_REF, TRUE_REF } from "./constants.js";
import { childPointer, isJsonObject, jsonEqual } from "./json-values.js";
import { literalPattern, matchesEverything } from "./regex.js";
import { applyUnevaluated } from "./unevaluated.js";
import {
  complementNorm,
  constAtom,
  fullAtom,
  fullNorm,
  intersectAtoms,
  intersectNorms,
  isTrivialTrue,
  tighterMax,
  tighterMin,
  unionNorms,
} from "./atoms.js";
import type {
  Atom,
  Bound,
  Contains,
  Ctx,
  Doc,
  JsonType,
  Lim,
  Norm,
  ObjectPart,
  Opaque,
  Ref,
  Str,
} from "./types.js";
import { jsonTypes } from "./types.js";

/** Formats ajv-formats applies to numbers rather than strings. */
const numberFormats = new Set(["int32", "int64", "float", "double"]);

function num(x: unknown): number | undefined {
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}

function count(s: Record<string, unknown>, key: string, loc: string): Lim | undefined {
  const v = num(s[key]);
  return v === undefined || v < 0 ? undefined : { value: Math.floor(v), loc: childPointer(loc, key) };
}

function str(s: Record<string, unknown>, key: string, loc: string): Str[] {
  const v = s[key];
  return typeof v === "string" ? [{ value: v, loc: childPointer(loc, key) }] : [];
}

/** The types a schema object admits and whether `integer` narrows `number`. */
function typesOf(s: Record<string, unknown>): { types: JsonType[]; integer: boolean } {
  const raw = s.type;
  const names =
    typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw.filter((x) => typeof x === "string") : null;
  if (!names) return { types: [...jsonTypes], integer: false };
  const types = new Set<JsonType>();
  for (const n of names) {
    if (n === "integer") types.add("number");
    else if ((jsonTypes as readonly string[]).includes(n)) types.add(n as JsonType);
  }
  return {
    types: jsonTypes.filter((t) => types.has(t)),
    integer: names.includes("integer") && !names.includes("number"),
  };
}

/** The atom of one type with the keywords of that type applied. */
function buildAtom(
  cx: Ctx,
  type: JsonType,
  s: Record<string, unknown>,
  doc: Doc,
  loc: string,
  integer: boolean,
): Atom {
  const ref = (x: unknown, ...segs: (string | number)[]): Ref =>
    cx.schemaRef(x, doc, childPointer(loc, ...segs));
  const base = fullAtom(type, loc);
  switch (base.kind) {
    case "null":
    case "boolean":
      return base;
    case "number": {
      let min: Bound | undefined;
      let max: Bound | undefined;
      const minimum = num(s.minimum);
      const maximum = num(s.maximum);
      // draft-04 spelled exclusive bounds as booleans next to minimum/maximum
      if (minimum !== undefined)
        min = { value: minimum, exclusive: s.exclusiveMinimum === true, loc: childPointer(loc, "minimum") };
      if (maximum !== undefined)
        max = { value: maximum, exclusive: s.exclusiveMaximum === true, loc: childPointer(loc, "maximum") };
      const xmin = num(s.exclusiveMinimum);
      const xmax = num(s.exclusiveMaximum);
      if (xmin !== undefined)
        min = tighterMin(min, { value: xmin, exclusive: true, loc: childPointer(loc, "exclusiveMinimum") });
      if (xmax !== undefined)
        max = tighterMax(max, { value: xmax, exclusive: true, loc: childPointer(loc, "exclusiveMaximum") });
      const m = num(s.multipleOf);
      const format = typeof s.format === "string" && numberFormats.has(s.format);
      return {
        ...base,
        integer: integer ? childPointer(loc, "type") : null,
        min,
        max,
        multipleOf: m !== undefined && m > 0 ? [{ value: m, loc: childPointer(loc, "multipleOf") }] : [],
        opaque: format ? [{ keyword: "format", value: s.format, loc: childPointer(loc, "format") }] : [],
      };
    }
    case "string":
      return {
        ...base,
        minLength: count(s, "minLength", loc),
        maxLength: count(s, "maxLength", loc),
        // a pattern every string matches (`.*`, an unanchored `a*`) is no constraint
        patterns: str(s, "pattern", loc).filter((p) => !matchesEverything(p.value)),
        formats: typeof s.format === "string" && !numberFormats.has(s.format) ? str(s, "format", loc) : [],
        content: [
          ...str(s, "contentEncoding", loc).map((x) => ({ ...x, value: `contentEncoding=${x.value}` })),
          ...str(s, "contentMediaType", loc).map((x) => ({ ...x, value: `contentMediaType=${x.value}` })),
        ],
      };
    case "array": {
      let prefix: Ref[] = [];
      let prefixLocs: string[] = [];
      let rest: Ref = TRUE_REF;
      let restLoc = childPointer(loc, "items");
      const tuple = (items: unknown[], key: string): void => {
        prefix = items.map((x, i) => ref(x, key, i));
        prefixLocs = items.map((_, i) => childPointer(loc, key, i));
      };
      if (Array.isArray(s.items)) {
        tuple(s.items, "items");
        if ("additionalItems" in s) {
          rest = ref(s.additionalItems, "additionalItems");
          restLoc = childPointer(loc, "additionalItems");
        }
      } else {
        if (Array.isArray(s.prefixItems)) tuple(s.prefixItems, "prefixItems");
        if ("items" in s) rest = ref(s.items, "items");
      }
      const contains: Contains[] = [];
      if ("contains" in s) {
        const min = num(s.minContains) ?? 1;
        const max = num(s.maxContains) ?? Infinity;
        contains.push({ ref: ref(s.contains, "contains"), min, max, loc: childPointer(loc, "contains") });
      }
      return {
        ...base,
        prefix,
        prefixLocs,
        rest,
        restLoc,
        min: count(s, "minItems", loc),
        max: count(s, "maxItems", loc),
        unique: s.uniqueItems === true ? childPointer(loc, "uniqueItems") : null,
        contains,
      };
    }
    case "object": {
      const props = new Map<string, Ref>();
      const patterns: ObjectPart["patterns"][number][] = [];
      if (isJsonObject(s.properties)) {
        for (const [k, v] of Object.entries(s.properties)) props.set(k, ref(v, "properties", k));
      }
      if (isJsonObject(s.patternProperties)) {
        for (const [p, v] of Object.entries(s.patternProperties)) {
          const r = ref(v, "patternProperties", p);
          const literal = literalPattern(p);
          if (literal !== undefined) {
            // `^name$` matches exactly one key: it is a property schema in another spelling
            const prior = props.get(literal);
            props.set(literal, prior ? cx.and([prior, r], r.loc) : r);
          } else {
            patterns.push({ source: p, ref: r, loc: childPointer(loc, "patternProperties", p) });
          }
        }
      }
      const additional =
        "additionalProperties" in s ? ref(s.additionalProperties, "additionalProperties") : TRUE_REF;
      const parts: ObjectPart[] = [];
      if (props.size || patterns.length || !isTrivialTrue(additional)) {
        parts.push({
          props,
          patterns,
          additional,
          additionalLoc: childPointer(loc, "additionalProperties"),
          loc,
        });
      }
      const required = new Map<string, string>();
      if (Array.isArray(s.required)) {
        for (const k of s.required) if (typeof k === "string") required.set(k, childPointer(loc, "required"));
      }
      const dependentRequired: { key: string; deps: string[]; loc: string }[] = [];
      const dependentSchemas: { key: string; ref: Ref; loc: string }[] = [];
      for (const key of ["dependencies", "dependentRequired", "dependentSchemas"] as const) {
        const deps = s[key];
        if (!isJsonObject(deps)) continue;
        for (const [k, v] of Object.entries(deps)) {
          const at = childPointer(loc, key, k);
          if (Array.isArray(v)) {
            dependentRequired.push({
              key: k,
              deps: v.filter((x): x is string => typeof x === "string"),
              loc: at,
            });
          } else if (key !== "dependentRequired") {
            dependentSchemas.push({ key: k, ref: ref(v, key, k), loc: at });
          }
        }
      }
      return {
        ...base,
        parts,
        propertyNames: "propertyNames" in s ? [ref(s.propertyNames, "propertyNames")] : [],
        required,
        min: count(s, "minProperties", loc),
        max: count(s, "maxProperties", loc),
        dependentRequired,
        dependentSchemas,
      };
    }
  }
}

/**
 * One `oneOf` branch minus every other branch. The other branches' atoms that overlap an atom are kept as
 * its `negs` instead of being folded into a complement, which would multiply atoms for every branch (a
 * discriminated union of n objects would expand to 2^n atoms); disjoint branches subtract nothing.
 */
function exclusiveBranch(cx: Ctx, branch: Norm, others: readonly Norm[]): Norm {
  const out: Atom[] = [];
  for (const atom of branch) {
    const overlapping = others.flatMap((o) =>
      o.filter((x) => {
        const both = intersectAtoms(cx, atom, x);
        return both !== undefined && !cx.isEmpty(both);
      }),
    );
    if (!overlapping.length) out.push(atom);
    else if (atom.kind === "const") {
      if (!overlapping.some((x) => cx.accepts([x], atom.value))) out.push(atom);
    } else out.push({ ...atom, negs: [...atom.negs, ...overlapping] });
  }
  return out;
}

/**
 * Normalizes one schema node of a document into a union of atoms: `type` and the per-type keywords first,
 * then the applicators (`$ref`, `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`) by set algebra, and
 * finally `const`/`enum`, whose values are kept only when the rest of the schema accepts them.
 */
export function normalizeNode(cx: Ctx, node: unknown, doc: Doc, loc: string): Norm {
  if (node === true) return fullNorm(loc);
  if (node === false) return [];
  if (!isJsonObject(node)) {
    cx.undecidable({ kind: "UNDECIDABLE_KEYWORD", subLoc: loc, superLoc: loc, name: "schema" });
    return fullNorm(loc);
  }
  const s = node;
  const sub = (x: unknown, ...segs: (string | number)[]): Norm =>
    cx.norm(cx.schemaRef(x, doc, childPointer(loc, ...segs)));
  const { types, integer } = typesOf(s);
  let norm: Norm = types.map((t) => buildAtom(cx, t, s, doc, loc, integer));

  for (const key of ["$ref", "$dynamicRef", "$recursiveRef"] as const) {
    const target = s[key];
    if (typeof target !== "string") continue;
    const ref = cx.resolveRef(doc, s, target, childPointer(loc, key));
    if (ref) norm = intersectNorms(cx, norm, cx.norm(ref));
  }
  if (Array.isArray(s.allOf)) {
    s.allOf.forEach((x, i) => {
      norm = intersectNorms(cx, norm, sub(x, "allOf", i));
    });
  }
  if (Array.isArray(s.anyOf)) {
    norm = intersectNorms(cx, norm, unionNorms(...s.anyOf.map((x, i) => sub(x, "anyOf", i))));
  }
  if (Array.isArray(s.oneOf)) {
    const branches = s.oneOf.map((x, i) => sub(x, "oneOf", i));
    const exclusive = branches.map((b, i) =>
      exclusiveBranch(
        cx,
        b,
        branches.filter((_, j) => j !== i),
      ),
    );
    norm = intersectNorms(cx, norm, unionNorms(...exclusive));
  }
  if ("not" in s) {
    norm = intersectNorms(cx, norm, complementNorm(cx, sub(s.not, "not"), childPointer(loc, "not")));
  }
  if ("if" in s && ("then" in s || "else" in s)) {
    // if/then/else = not(if and not then) and not(not if and not else): two complements, each at most
    // one atom per type, so many conditionals side by side do not multiply atoms
    const cond = sub(s.if, "if");
    const ifLoc = childPointer(loc, "if");
    if ("then" in s) {
      const at = childPointer(loc, "then");
      const broken = intersectNorms(cx, cond, complementNorm(cx, sub(s.then, "then"), at));
      norm = intersectNorms(cx, norm, complementNorm(cx, broken, at));
    }
    if ("else" in s) {
      const at = childPointer(loc, "else");
      const broken = intersectNorms(
        cx,
        complementNorm(cx, cond, ifLoc),
        complementNorm(cx, sub(s.else, "else"), at),
      );
      norm = intersectNorms(cx, norm, complementNorm(cx, broken, at));
    }
  }

  const unevaluated = applyUnevaluated(cx, s, doc, loc, norm);
  norm = unevaluated.norm;
  for (const keyword of unevaluated.opaque) {
    // a shape the checker cannot model: compared only where both schemas write it identically
    const type = keyword === "unevaluatedProperties" ? "object" : "array";
    const opaque: Opaque = { keyword, value: s[keyword], loc: childPointer(loc, keyword) };
    const restricted = jsonTypes.map((t) =>
      t === type ? { ...fullAtom(t, loc), opaque: [opaque] } : fullAtom(t, loc),
    );
    norm = intersectNorms(cx, norm, restricted);
  }

  let values: unknown[] | undefined;
  if ("const" in s) values = [s.const];
  if (Array.isArray(s.enum))
    values = values ? values.filter((v) => (s.enum as unknown[]).some((e) => jsonEqual(e, v))) : s.enum;
  if (values) {
    const kept = norm;
    norm = unionNorms(
      values.flatMap((v) => {
        const c = constAtom(v, childPointer(loc, "const" in s ? "const" : "enum"));
        return c && cx.accepts(kept, v) ? [c] : [];
      }),
    );
  }
  return norm;
}

/** Normalizes a reference of any kind (schema node, negation, conjunction, ready union). */
export function normalizeRef(cx: Ctx, ref: Ref): Norm {
  switch (ref.kind) {
    case "schema":
      if (ref === TRUE_REF) return fullNorm(ref.loc);
      if (ref === FALSE_REF) return [];
      return normalizeNode(cx, ref.node, ref.doc, ref.loc);
    case "not":
      return complementNorm(cx, cx.norm(ref.of), ref.loc);
    case "and":
      return ref.of.reduce<Norm>((acc, r) => intersectNorms(cx, acc, cx.norm(r)), fullNorm(ref.loc));
    case "norm":
      return ref.norm;
  }
}
