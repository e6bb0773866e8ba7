import { FALSE_REF, TRUE_REF } from "./constants.js";
import { acceptsNorm } from "./evaluate.js";
import { isTrivialTrue } from "./atoms.js";
import { normalizeRef } from "./normalize.js";
import { createDoc, findInDoc, refTarget } from "./refs.js";
import { SubsetChecker } from "./subset.js";
import type { Atom, Ctx, Doc, Norm, Reason, Ref, Side } from "./types.js";
import { fullNorm } from "./atoms.js";
import { assertSchemaDepth, defaultMaxSchemaDepth } from "./schema-depth.js";
import { WeirError } from "@weir/common";

/**
 * Resolves a `$ref` to a schema outside the document it is written in (another registered schema).
 *
 * `ref` is the reference as written, `uri` the absolute URI without fragment (relative when the referencing
 * schema had no absolute `$id`), `side` which of the compared schemas the reference belongs to. Return the
 * referenced schema (parsed JSON), or undefined when it is unknown.
 */
export type RefResolver = (ref: {
  readonly ref: string;
  readonly uri: string;
  readonly side: Side;
}) => unknown;

/** Options of an {@link Analyzer}. */
export interface AnalyzerOptions {
  /** Resolves references to other registered schemas. */
  resolveRef?: RefResolver;
  /** Units of work (subset comparisons and normalizations) before giving up as too complex. @default 200000 */
  budget?: number;
  /** Wall-clock milliseconds before giving up as too complex. @default 5000 */
  timeoutMs?: number;
  /** Deepest nesting a referenced schema may have (see `assertSchemaDepth`). @default 128 */
  maxDepth?: number;
}

/** One comparison's worth of state: documents, interned references, caches and undecided points. */
export class Analyzer implements Ctx {
  private nextId = 10;
  private readonly schemaRefs = new Map<string, Ref>();
  private readonly derivedRefs = new Map<string, Ref>();
  private readonly norms = new Map<number, Norm>();
  private readonly busy = new Set<number>();
  private readonly externalDocs = new Map<string, Doc | null>();
  private readonly undecided = new Map<string, Reason>();
  private work = 0;
  private exhausted = false;
  private readonly budget: number;
  private readonly deadline: number;
  /** The subset and emptiness engine. */
  readonly subset: SubsetChecker;
  readonly maxNesting: number;

  constructor(private readonly options: AnalyzerOptions = {}) {
    this.budget = options.budget ?? 200_000;
    this.deadline = performance.now() + (options.timeoutMs ?? 5000);
    // twice the document depth limit: a schema within it nests at most that deep on its own, so only a
    // chain of $refs (each target a new schema) gets this far
    this.maxNesting = 2 * (options.maxDepth ?? defaultMaxSchemaDepth);
    this.subset = new SubsetChecker(this);
  }

  nestedTooDeep(loc: string, side?: Side): never {
    throw new WeirError(
      "SCHEMA_INVALID",
      `the schemas nest more than ${this.maxNesting} sub-schemas deep through $ref (near #${loc.length > 120 ? `${loc.slice(0, 60)}…${loc.slice(-50)}` : loc}); Weir refuses to analyze them rather than risk exhausting the stack. Shorten the chain of $refs`,
      {
        details: {
          pointer: loc.includes("#") ? "" : loc,
          maxNesting: this.maxNesting,
          ...(side ? { side } : {}),
        },
      },
    );
  }

  /** Registers one of the compared schemas and returns the reference to its root. */
  addRoot(schema: unknown, side: Side): Ref {
    const doc = createDoc({ id: this.nextId++, root: schema, side, label: "" });
    return this.schemaRef(schema, doc, "");
  }

  /** Things the checker could not decide while working (unresolvable references, bad patterns...). */
  get undecidables(): Reason[] {
    return [...this.undecided.values()];
  }

  schemaRef(node: unknown, doc: Doc, loc: string): Ref {
    if (node === true && loc === "") return TRUE_REF;
    const key = `${doc.id}:${loc}`;
    let ref = this.schemaRefs.get(key);
    if (!ref) {
      ref = { kind: "schema", id: this.nextId++, node, doc, loc };
      this.schemaRefs.set(key, ref);
    }
    return ref;
  }

  normRef(norm: Norm, loc: string): Ref {
    return { kind: "norm", id: this.nextId++, norm, loc };
  }

  and(refs: readonly Ref[], loc: string): Ref {
    const parts: Ref[] = [];
    for (const r of refs) {
      if (r === FALSE_REF) return FALSE_REF;
      if (isTrivialTrue(r) || parts.some((p) => p.id === r.id)) continue;
      parts.push(r);
    }
    if (parts.length === 0) return TRUE_REF;
    if (parts.length === 1) return parts[0]!;
    const key = `and:${parts.map((p) => p.id).join(",")}`;
    let ref = this.derivedRefs.get(key);
    if (!ref) {
      ref = { kind: "and", id: this.nextId++, of: parts, loc: parts[0]?.loc ?? loc };
      this.derivedRefs.set(key, ref);
    }
    return ref;
  }

  not(ref: Ref, loc: string): Ref {
    if (ref === FALSE_REF) return TRUE_REF;
    if (isTrivialTrue(ref)) return FALSE_REF;
    if (ref.kind === "not") return ref.of;
    const key = `not:${ref.id}`;
    let out = this.derivedRefs.get(key);
    if (!out) {
      out = { kind: "not", id: this.nextId++, of: ref, loc };
      this.derivedRefs.set(key, out);
    }
    return out;
  }

  norm(ref: Ref): Norm {
    const cached = this.norms.get(ref.id);
    if (cached) return cached;
    // A reference cycle that never passes through a property or item (e.g. `A: allOf[$ref A, ...]`)
    // constrains nothing on its own: read it as `true`, as a validator that terminated would.
    if (this.busy.has(ref.id)) return fullNorm(ref.loc);
    if (this.busy.size >= this.maxNesting)
      this.nestedTooDeep(ref.loc, ref.kind === "schema" ? ref.doc.side : undefined);
    this.busy.add(ref.id);
    this.tick();
    const norm = normalizeRef(this, ref);
    this.busy.delete(ref.id);
    this.norms.set(ref.id, norm);
    return norm;
  }

  accepts(norm: Norm, value: unknown): boolean {
    return acceptsNorm(this, norm, value);
  }

  isEmpty(atom: Atom): boolean {
    return this.subset.isEmpty(atom);
  }

  isEmptyRef(ref: Ref): boolean {
    return this.subset.isEmptyRef(ref);
  }

  subsetRef(a: Ref, b: Ref): boolean {
    return this.subset.subsetRef(a, b);
  }

  resolveRef(doc: Doc, node: object, ref: string, loc: string): Ref | undefined {
    const target = refTarget(doc, node, ref);
    let found = target ? findInDoc(doc, target) : undefined;
    let where = doc;
    if (target && !found && !doc.resources.has(target.uri)) {
      const external = this.externalDoc(target.uri, target.display, ref, doc.side);
      if (external) {
        where = external;
        found = findInDoc(external, target);
      }
    }
    if (!target || !found) {
      this.undecidable({ kind: "UNDECIDABLE_REF", subLoc: loc, superLoc: loc, name: ref });
      return undefined;
    }
    return this.schemaRef(found.node, where, `${where.label}${found.pointer}`);
  }

  private externalDoc(uri: string, display: string, ref: string, side: Side): Doc | undefined {
    const key = `${side} ${uri}`;
    const known = this.externalDocs.get(key);
    if (known !== undefined) return known ?? undefined;
    const schema = this.options.resolveRef?.({ ref, uri: display, side });
    if (schema !== undefined) {
      assertSchemaDepth(schema, `the schema referenced as ${JSON.stringify(display)} by the ${side} schema`, {
        side,
        reference: display,
        ...(this.options.maxDepth === undefined ? {} : { maxDepth: this.options.maxDepth }),
      });
    }
    const doc =
      schema === undefined
        ? null
        : createDoc({ id: this.nextId++, root: schema, side, label: `${display}#`, baseUri: uri });
    this.externalDocs.set(key, doc);
    return doc ?? undefined;
  }

  undecidable(reason: Reason): void {
    const key = `${reason.kind}|${reason.superLoc}|${reason.name ?? ""}`;
    if (!this.undecided.has(key)) this.undecided.set(key, reason);
  }

  tick(): boolean {
    if (this.exhausted) return false;
    this.work += 1;
    if (this.work >= this.budget || (this.work % 256 === 0 && performance.now() > this.deadline)) {
      this.exhausted = true;
      this.undecidable({ kind: "UNDECIDABLE_TOO_COMPLEX", subLoc: "", superLoc: "" });
    }
    return !this.exhausted;
  }
}
