import { isJsonObject, pointerSegment } from "./json-values.js";
import type { Doc, Draft, Side } from "./types.js";

/** Keywords whose values are data, not schemas: never searched for `$id`s. */
const dataKeywords = new Set(["enum", "const", "examples", "default"]);

/** Keywords that exist only from draft 2019-09 on: a schema without `$schema` using one means 2020-12. */
const laterKeywords = new Set([
  "prefixItems",
  "dependentRequired",
  "dependentSchemas",
  "minContains",
  "maxContains",
  "unevaluatedProperties",
  "unevaluatedItems",
  "$anchor",
  "$dynamicRef",
  "$dynamicAnchor",
]);

function usesLaterKeywords(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesLaterKeywords);
  if (!isJsonObject(node)) return false;
  return Object.entries(node).some(
    ([k, v]) =>
      laterKeywords.has(k) || (!dataKeywords.has(k) && typeof v === "object" && usesLaterKeywords(v)),
  );
}

/** Whether a schema spells an exclusive bound as a boolean beside minimum/maximum (draft-04 only). */
function usesBooleanExclusiveBounds(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(usesBooleanExclusiveBounds);
  if (!isJsonObject(node)) return false;
  if (typeof node.exclusiveMaximum === "boolean" || typeof node.exclusiveMinimum === "boolean") return true;
  return Object.entries(node).some(
    ([k, v]) => !dataKeywords.has(k) && typeof v === "object" && usesBooleanExclusiveBounds(v),
  );
}

/**
 * The dialect of a root schema: the one `$schema` names (2019-09 is read as 2020-12); without `$schema`,
 * 2020-12 when the schema uses keywords only 2019-09+ has, draft-04 when it writes an exclusive bound as
 * a boolean (invalid in every later draft), else draft-07.
 */
export function draftOf(schema: unknown): Draft {
  const declared = isJsonObject(schema) ? schema.$schema : undefined;
  if (typeof declared === "string") {
    if (/20(19-09|20-12)/.test(declared)) return "2020-12";
    if (/draft-04\/schema#?$/.test(declared)) return "draft-04";
    if (/draft-06\/schema#?$/.test(declared)) return "draft-06";
    return "draft-07";
  }
  if (usesLaterKeywords(schema)) return "2020-12";
  return usesBooleanExclusiveBounds(schema) ? "draft-04" : "draft-07";
}

function resolveUri(ref: string, base: string): string | undefined {
  try {
    return new URL(ref, base).href;
  } catch {
    return undefined;
  }
}

function stripFragment(uri: string): string {
  const i = uri.indexOf("#");
  return i < 0 ? uri : uri.slice(0, i);
}

/**
 * Indexes a schema document: the base URI in effect at every schema object and every resource and anchor
 * it declares (`$id`, draft-04 `id`, draft-07 `"$id": "#name"`, `$anchor`, `$dynamicAnchor`).
 */
export function createDoc(options: {
  id: number;
  root: unknown;
  side: Side;
  label: string;
  baseUri?: string;
  draft?: Draft;
}): Doc {
  const syntheticBase = `https://weir.invalid/${options.side}/${options.id}/schema.json`;
  const doc: Doc = {
    id: options.id,
    label: options.label,
    root: options.root,
    draft: options.draft ?? draftOf(options.root),
    side: options.side,
    baseOf: new WeakMap(),
    resources: new Map(),
    syntheticBase,
  };
  const rootBase = options.baseUri ?? syntheticBase;
  // draft-04 names a schema's base URI `id`; later drafts `$id`
  const idKeyword = doc.draft === "draft-04" ? "id" : "$id";
  const walk = (node: unknown, base: string, pointer: string): void => {
    if (Array.isArray(node)) {
      node.forEach((x, i) => walk(x, base, `${pointer}/${i}`));
      return;
    }
    if (!isJsonObject(node)) return;
    let here = base;
    const id = node[idKeyword];
    if (typeof id === "string") {
      if (id.startsWith("#")) {
        doc.resources.set(`${stripFragment(base)}${id}`, { node, pointer });
      } else {
        const abs = resolveUri(id, base);
        if (abs) {
          here = stripFragment(abs);
          doc.resources.set(here, { node, pointer });
        }
      }
    }
    for (const key of ["$anchor", "$dynamicAnchor"] as const) {
      const anchor = node[key];
      if (typeof anchor === "string") doc.resources.set(`${here}#${anchor}`, { node, pointer });
    }
    doc.baseOf.set(node, here);
    for (const [k, v] of Object.entries(node)) {
      if (!dataKeywords.has(k) && typeof v === "object" && v !== null)
        walk(v, here, `${pointer}/${pointerSegment(k)}`);
    }
  };
  doc.resources.set(stripFragment(rootBase), { node: options.root, pointer: "" });
  walk(options.root, stripFragment(rootBase), "");
  return doc;
}

/** Where a `$ref` points: an absolute resource URI (no fragment) and the fragment. */
export interface RefTarget {
  /** Absolute URI of the referenced document. */
  readonly uri: string;
  /** The fragment: "" (the whole resource), a JSON pointer ("/definitions/a") or an anchor name. */
  readonly fragment: string;
  /** The URI as the caller should see it: relative when the referencing document had no absolute `$id`. */
  readonly display: string;
}

/** Resolves a `$ref` written at `node` against the base URI in effect there. */
export function refTarget(doc: Doc, node: object, ref: string): RefTarget | undefined {
  const base = doc.baseOf.get(node) ?? doc.syntheticBase;
  const abs = resolveUri(ref, base);
  if (!abs) return undefined;
  const hash = abs.indexOf("#");
  const uri = hash < 0 ? abs : abs.slice(0, hash);
  const fragment = hash < 0 ? "" : decodeURIComponent(abs.slice(hash + 1));
  const dir = doc.syntheticBase.slice(0, doc.syntheticBase.lastIndexOf("/") + 1);
  const display = uri.startsWith(dir) ? uri.slice(dir.length) : uri;
  return { uri, fragment, display };
}

/** Follows a JSON pointer from a node. */
export function followPointer(node: unknown, pointer: string): unknown {
  if (pointer === "") return node;
  let cur = node;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isJsonObject(cur) && Object.hasOwn(cur, seg)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

/** Finds a reference target inside a document: the node and its JSON pointer in that document. */
export function findInDoc(doc: Doc, target: RefTarget): { node: unknown; pointer: string } | undefined {
  if (target.fragment === "" || target.fragment.startsWith("/")) {
    const res = doc.resources.get(target.uri);
    if (!res) return undefined;
    const node = followPointer(res.node, target.fragment);
    return node === undefined ? undefined : { node, pointer: res.pointer + target.fragment };
  }
  return doc.resources.get(`${target.uri}#${target.fragment}`);
}
