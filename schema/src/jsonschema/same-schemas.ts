import type { RefResolver } from "./analyzer.js";
import { canonicalJson, isJsonObject } from "./json-values.js";
import { createDoc, refTarget } from "./refs.js";

/** Keywords whose values are data, not schemas (a `$ref` key inside them is not a reference). */
const dataKeywords = new Set(["enum", "const", "examples", "default"]);

/** Every `$ref`-like reference written in a schema document, with the object it is written in. */
function referencesOf(root: unknown): { node: object; ref: string }[] {
  const out: { node: object; ref: string }[] = [];
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      stack.push(...(node as unknown[]));
      continue;
    }
    if (!isJsonObject(node)) continue;
    for (const key of ["$ref", "$dynamicRef", "$recursiveRef"]) {
      const ref = node[key];
      if (typeof ref === "string") out.push({ node, ref });
    }
    for (const [k, v] of Object.entries(node)) if (!dataKeywords.has(k)) stack.push(v);
  }
  return out;
}

/**
 * Whether two schemas are the same schema: equal canonical JSON, and every schema they reference outside
 * themselves resolves to equal canonical JSON on both sides (or fails to resolve on both). Two such
 * schemas accept the same documents whatever they contain, so they are compatible in every direction,
 * even where the checker could not decide a point on its own (an unresolvable `$ref`, a regex, a
 * complexity limit).
 */
export function sameSchemas(oldSchema: unknown, newSchema: unknown, resolveRef?: RefResolver): boolean {
  if (canonicalJson(oldSchema) !== canonicalJson(newSchema)) return false;
  const seen = new Set<string>();
  const pending: { schema: unknown; baseUri?: string }[] = [{ schema: newSchema }];
  while (pending.length) {
    const { schema, baseUri } = pending.pop()!;
    const doc = createDoc({
      id: 1,
      root: schema,
      side: "new",
      label: "",
      ...(baseUri === undefined ? {} : { baseUri }),
    });
    for (const { node, ref } of referencesOf(schema)) {
      const target = refTarget(doc, node, ref);
      if (!target || doc.resources.has(target.uri) || seen.has(target.uri)) continue;
      seen.add(target.uri);
      const older = resolveRef?.({ ref, uri: target.display, side: "old" });
      const newer = resolveRef?.({ ref, uri: target.display, side: "new" });
      if (older === undefined && newer === undefined) continue;
      if (older === undefined || newer === undefined) return false;
      if (canonicalJson(older) !== canonicalJson(newer)) return false;
      pending.push({ schema: newer, baseUri: target.uri });
    }
  }
  return true;
}
