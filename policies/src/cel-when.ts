import { celEnv, isCelError, parse, plan, type CelInput } from "@bufbuild/cel";

type ParsedWhen = ReturnType<typeof parse>;
type Expr = ParsedWhen["expr"];

/** The variables a RoutePolicy `when` expression can use. */
export const whenVariables = ["value", "key", "headers"] as const;

/** A position inside a CEL expression (1-based line and column, 0-based offset). */
export interface CelPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** Why a `when` expression was refused, and where in the expression. */
export interface CelProblem {
  readonly message: string;
  readonly at: CelPosition;
}

/** What a compiled `when` is evaluated over. */
export interface RouteRecord {
  /** The record value parsed as JSON; undefined when it is not JSON (then `value` is null in CEL). */
  readonly value?: unknown;
  /** The record key, if any (null in CEL when absent). */
  readonly key?: string | undefined;
  /** Record headers (an empty map in CEL when absent). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A compiled `when`: true routes the record. An evaluation error (a missing field...) counts as false. */
export type WhenPredicate = (record: RouteRecord) => boolean;

// Calls the planner implements itself rather than through the function registry.
const plannerCalls = new Set([
  "_&&_",
  "_||_",
  "_?_:_",
  "@not_strictly_false",
  "_[_]",
  "_[?_]",
  "_?._",
  "@in",
]);

const env = celEnv({});

function position(offset: number, text: string): CelPosition {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1, offset };
}

/**
 * Compiles a RoutePolicy `when` expression with @bufbuild/cel: parses it, then checks what can be known
 * before any record is seen (the expression is over untyped JSON, so this is the static part of CEL type
 * checking): every identifier is `value`, `key`, `headers` or a comprehension variable; every function
 * exists; sub-expressions built from constants only evaluate without error (`1 + "a"`); and the result can
 * be a bool (`value.region` alone is accepted, `"eu"` or `1 + 2` are not).
 *
 * @returns the predicate, or the problems found with their positions inside the expression.
 */
export function compileWhen(text: string): { predicate: WhenPredicate } | { problems: CelProblem[] } {
  let parsed: ParsedWhen;
  try {
    parsed = parse(text);
  } catch (error) {
    const e = error as { message?: string; location?: { start?: { offset?: number } } };
    const offset = e.location?.start?.offset ?? 0;
    const message = (e.message ?? String(error)).replace(/^<input>:\d+:\d+: /, "");
    return { problems: [{ message: `CEL syntax error: ${message}`, at: position(offset, text) }] };
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const at = (e: Expr): CelPosition => position(positions[Number(e.id)] ?? 0, text);
  const problems: CelProblem[] = [];

  /** Walks the tree; returns whether the expression is constant (uses no variable). */
  const walk = (e: Expr, scope: ReadonlySet<string>): boolean => {
    const k = e.exprKind;
    switch (k.case) {
      case "constExpr":
        return true;
      case "identExpr":
        if (!scope.has(k.value.name) && !(whenVariables as readonly string[]).includes(k.value.name))
          problems.push({
            message: `undeclared reference to "${k.value.name}" (a when expression can use ${whenVariables.join(", ")})`,
            at: at(e),
          });
        return false;
      case "selectExpr":
        if (k.value.operand) walk(k.value.operand, scope);
        return false;
      case "callExpr": {
        const { function: fn, args, target } = k.value;
        const parts = [...(target ? [target] : []), ...args];
        const constant = parts.map((p) => walk(p, scope)).every(Boolean);
        if (!plannerCalls.has(fn) && !env.funcs.find(fn)) {
          problems.push({ message: `undeclared function "${fn}"`, at: at(e) });
          return false;
        }
        if (constant && problems.length === 0) {
          const result = plan(env, e)();
          // Only overload mismatches are type errors; `2 / 0` is a runtime error CEL allows in a branch not taken.
          if (isCelError(result) && /no matching overload/.test(result.message))
            problems.push({ message: `type error: ${result.message}`, at: at(e) });
        }
        return constant;
      }
      case "listExpr":
        return k.value.elements.map((x) => walk(x, scope)).every(Boolean);
      case "structExpr":
        return k.value.entries
          .map(
            (x) =>
              (x.value ? walk(x.value, scope) : true) &&
              (x.keyKind.case === "mapKey" ? walk(x.keyKind.value, scope) : true),
          )
          .every(Boolean);
      case "comprehensionExpr": {
        const c = k.value;
        if (c.iterRange) walk(c.iterRange, scope);
        const inner = new Set([...scope, c.iterVar, c.accuVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
        for (const part of [c.accuInit, c.loopCondition, c.loopStep, c.result]) if (part) walk(part, inner);
        return false;
      }
      case undefined:
        return true;
    }
  };
  const constant = walk(parsed.expr, new Set());
  if (problems.length === 0) {
    const root = parsed.expr.exprKind;
    const notBool =
      (constant && typeof plan(env, parsed.expr)() !== "boolean") ||
      root.case === "listExpr" ||
      root.case === "structExpr" ||
      (root.case === "callExpr" && /^(_[-+*/%]_|-_)$/.test(root.value.function));
    if (notBool) problems.push({ message: "a when expression must evaluate to a bool", at: at(parsed.expr) });
  }
  if (problems.length > 0) return { problems };

  const evaluate = plan(env, parsed.expr);
  return {
    predicate: (record) => {
      const bindings: Record<string, CelInput> = {
        value: toCel(record.value),
        key: record.key ?? null,
        headers: new Map(Object.entries(record.headers ?? {})),
      };
      return evaluate(bindings) === true;
    },
  };
}

/** JSON as CEL input: numbers stay doubles (CEL compares them with ints), objects become maps. */
function toCel(value: unknown): CelInput {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === "object") return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value as CelInput;
}
