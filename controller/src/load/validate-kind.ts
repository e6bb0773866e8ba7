import AjvModule from "ajv";
import type { ErrorObject, ValidateFunction } from "ajv";
import { kindSchema, type ResourceKind } from "../kinds/kinds.js";
import { escapePointerSegment } from "./yaml-positions.js";

/** One way a document breaks its kind's JSON Schema, ready to be located and printed. */
export interface KindViolation {
  /** JSON pointer of the offending value (for a misspelt property: of that property). */
  readonly pointer: string;
  /** Whether the position to show is the property's key rather than its value. */
  readonly atKey: boolean;
  readonly message: string;
  readonly hint?: string;
}

// ajv is CommonJS; under nodenext its class is the default export's `default`.
const ajv = new AjvModule.default({ allErrors: true, verbose: true, strict: false });
const validators = new Map<ResourceKind, ValidateFunction>();

function validatorOf(kind: ResourceKind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    v = ajv.compile(kindSchema(kind));
    validators.set(kind, v);
  }
  return v;
}

/** Validates a document against its kind's JSON Schema; each violation names a pointer and a fix. */
export function validateKind(kind: ResourceKind, document: unknown): KindViolation[] {
  const validate = validatorOf(kind);
  if (validate(document)) return [];
  return describe(collapse(validate.errors ?? []), kind);
}

/**
 * Folds the errors of an `anyOf`'s branches into the anyOf's own error, so "needs topics or groups" is
 * one message, not three.
 */
function collapse(errors: readonly ErrorObject[]): ErrorObject[] {
  const groups = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  return errors.filter(
    (e) =>
      !groups.some(
        (g) => g !== e && e.schemaPath.startsWith(`${g.schemaPath}/`) && e.instancePath === g.instancePath,
      ),
  );
}

function describe(errors: readonly ErrorObject[], kind: ResourceKind): KindViolation[] {
  return errors.map((e) => {
    const where = e.instancePath === "" ? "the document" : `"${dotted(e.instancePath)}"`;
    const parent = (e.parentSchema ?? {}) as { description?: string; properties?: Record<string, unknown> };
    const description = parent.description ? ` (${parent.description})` : "";
    switch (e.keyword) {
      case "required": {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        return {
          pointer: e.instancePath,
          atKey: true,
          message: `${where} is missing the required field "${missing}"`,
          hint: `add ${missing}: to ${where}; see controller/kinds/ for the ${kind} schema`,
        };
      }
      case "additionalProperties": {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys(parent.properties ?? {});
        return {
          pointer: `${e.instancePath}/${escapePointerSegment(extra)}`,
          atKey: true,
          message: `unknown field "${extra}" in ${where}`,
          hint: `remove it or fix its spelling${allowed.length > 0 ? `; allowed here: ${allowed.join(", ")}` : ""}`,
        };
      }
      case "const": {
        const allowed = (e.params as { allowedValue: unknown }).allowedValue;
        return {
          pointer: e.instancePath,
          atKey: false,
          message: `${where} must be ${JSON.stringify(allowed)}, got ${JSON.stringify(e.data)}`,
          hint: `write ${e.instancePath.slice(1)}: ${String(allowed)}`,
        };
      }
      case "enum": {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
        return {
          pointer: e.instancePath,
          atKey: false,
          message: `${where} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${JSON.stringify(e.data)}`,
        };
      }
      case "pattern":
        return {
          pointer: e.instancePath,
          atKey: false,
          message: `${where} has an invalid value ${JSON.stringify(e.data)}${description}`,
          hint: `it must match ${(e.params as { pattern: string }).pattern}`,
        };
      case "type":
        return {
          pointer: e.instancePath,
          atKey: false,
          message: `${where} must be ${String((e.params as { type: string | string[] }).type).replace(",", " or ")}, got ${typeName(e.data)}${description}`,
        };
      case "anyOf": {
        const alternatives = (e.schema as Array<{ required?: string[] }>).map((s) => s.required ?? []);
        const requiredOnly = alternatives.every((r) => r.length > 0);
        return {
          pointer: e.instancePath,
          atKey: false,
          message: requiredOnly
            ? `${where} needs at least one of ${alternatives.map((r) => `"${r.join('", "')}"`).join(" or ")}`
            : `${where} ${e.message ?? "is invalid"}`,
        };
      }
      case "oneOf": {
        const alternatives = (e.schema as Array<{ required?: string[] }>).map((s) => s.required ?? []);
        if (alternatives.every((r) => r.length === 1)) {
          const names = alternatives.map((r) => r[0]!);
          const given = names.filter((n) => Object.hasOwn(e.data ?? {}, n));
          return {
            pointer: e.instancePath,
            atKey: false,
            message:
              given.length > 1
                ? `${where} gives ${given.map((n) => `"${n}"`).join(" and ")}; exactly one of them is allowed`
                : `${where} needs exactly one of ${names.map((n) => `"${n}"`).join(" or ")}`,
            hint: `${given.length > 1 ? "keep" : "add"} one of ${names.join(", ")}; see controller/kinds/ for the ${kind} schema`,
          };
        }
        return {
          pointer: e.instancePath,
          atKey: false,
          message: `${where} has none of its allowed forms${description}`,
        };
      }
      default:
        return {
          pointer: e.instancePath,
          atKey: false,
          message: `${where} ${e.message ?? "is invalid"}${description}`,
        };
    }
  });
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `/spec/rules/0/topics` → `spec.rules[0].topics`, the way people read YAML paths. */
function dotted(pointer: string): string {
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((out, s) => (/^\d+$/.test(s) ? `${out}[${s}]` : out === "" ? s : `${out}.${s}`), "");
}
