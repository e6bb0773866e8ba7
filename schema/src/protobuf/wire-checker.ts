import { isUtf8 } from "node:buffer";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";

/**
 * Checks that bytes are a well-formed binary encoding of one message type, without building the message.
 *
 * Why not just `fromBinary`: @bufbuild/protobuf reads a known scalar field with whatever wire type it
 * arrives in (it does not compare them), so a producer that writes field 1 as a varint where the schema
 * says `string` can slip through and decode to garbage. This walker checks every known field's wire
 * type, every length against the bytes left, UTF-8 in `string` fields (where the file's syntax asks for
 * it: proto3 / editions), nested messages, packed lists, map entries and groups — and on the first problem
 * says where it is as a field path (`items[2].price`). Unknown field numbers are legal protobuf (a newer
 * producer's fields) and are skipped after checking that they are well-formed.
 */
export type WireChecker = (bytes: Uint8Array) => void;

/** Why a payload is not a well-formed encoding; the validator turns it into SCHEMA_VALIDATION_FAILED. */
export class WireProblem extends Error {
  override readonly name = "WireProblem";
  /** Field path segments from the root, built only while the problem propagates. */
  readonly segments: string[] = [];
  constructor(
    /** `wire-type`, `truncated`, `utf8`, `invalid-tag`, `end-group` or `recursion-limit`. */
    readonly keyword: string,
    readonly problem: string,
    /** Byte offset in the payload where the problem was found. */
    readonly offset: number,
  ) {
    super(problem);
  }

  /** The field path, e.g. `items[2].price` (`""` for the message itself). */
  get path(): string {
    let out = "";
    for (const s of this.segments) out += s.startsWith("[") || out === "" ? s : `.${s}`;
    return out;
  }
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const SGROUP = 3;
const EGROUP = 4;
const I32 = 5;
const wireTypeNames = ["VARINT", "I64", "LEN", "SGROUP", "EGROUP", "I32", "6", "7"];
const wireName = (wt: number): string => `${wireTypeNames[wt] ?? wt} (${wt})`;

/** The wire type a scalar is written with when not packed. */
function scalarWireType(t: ScalarType): number {
  switch (t) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return I32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    case ScalarType.INT32:
    case ScalarType.INT64:
    case ScalarType.UINT32:
    case ScalarType.UINT64:
    case ScalarType.SINT32:
    case ScalarType.SINT64:
    case ScalarType.BOOL:
      return VARINT;
  }
}

const scalarNames: Record<number, string> = {
  [ScalarType.DOUBLE]: "double",
  [ScalarType.FLOAT]: "float",
  [ScalarType.INT64]: "int64",
  [ScalarType.UINT64]: "uint64",
  [ScalarType.INT32]: "int32",
  [ScalarType.FIXED64]: "fixed64",
  [ScalarType.FIXED32]: "fixed32",
  [ScalarType.BOOL]: "bool",
  [ScalarType.STRING]: "string",
  [ScalarType.BYTES]: "bytes",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.SFIXED32]: "sfixed32",
  [ScalarType.SFIXED64]: "sfixed64",
  [ScalarType.SINT32]: "sint32",
  [ScalarType.SINT64]: "sint64",
};

/** How one value (a singular field, a list element, a map key or value) is checked. */
interface ValuePlan {
  /** The wire type the value is written with. */
  readonly wireType: number;
  /** What the schema calls it, for messages: `string`, `enum shop.Color`, `message shop.Item`. */
  readonly typeName: string;
  readonly utf8: boolean;
  /** For message values (the plan object exists before its fields are filled, so recursive types work). */
  readonly message?: MessagePlan;
  /** Scalars and enums that may also arrive packed in one LEN record (repeated only). */
  readonly packable: boolean;
}

interface FieldPlan {
  readonly name: string;
  readonly repeated: boolean;
  readonly value: ValuePlan;
  /** For map fields: the plans of the entry's key (1) and value (2). */
  readonly map?: { readonly key: ValuePlan; readonly value: ValuePlan };
}

interface MessagePlan {
  readonly typeName: string;
  readonly fields: Map<number, FieldPlan>;
  /** The same plans indexed by number for numbers below 128, the common case, to skip the map lookup. */
  readonly small: Array<FieldPlan | undefined>;
}

/** Compiles a checker for one message type (once per schema version; plans are shared by nested types). */
export function compileWireChecker(
  root: DescMessage,
  options: { recursionLimit?: number } = {},
): WireChecker {
  const plans = new Map<DescMessage, MessagePlan>();
  const limit = options.recursionLimit ?? 100;
  const planOf = (desc: DescMessage): MessagePlan => {
    let plan = plans.get(desc);
    if (plan === undefined) {
      plan = { typeName: desc.typeName, fields: new Map(), small: [] };
      plans.set(desc, plan);
      for (const field of desc.fields) plan.fields.set(field.number, fieldPlan(field, planOf));
      const top = Math.min(128, Math.max(0, ...plan.fields.keys()) + 1);
      for (let no = 0; no < top; no++) plan.small.push(plan.fields.get(no));
    }
    return plan;
  };
  const rootPlan = planOf(root);
  return (bytes) => {
    const cursor = { buf: bytes, pos: 0 };
    walkMessage(rootPlan, cursor, bytes.length, 0, limit, undefined);
  };
}

function fieldPlan(field: DescField, planOf: (d: DescMessage) => MessagePlan): FieldPlan {
  const messageValue = (desc: DescMessage, delimited: boolean): ValuePlan => ({
    wireType: delimited ? SGROUP : LEN,
    typeName: `message ${desc.typeName}`,
    utf8: false,
    message: planOf(desc),
    packable: false,
  });
  // Only list elements may arrive packed.
  const scalarValue = (t: ScalarType, utf8: boolean, list = false): ValuePlan => ({
    wireType: scalarWireType(t),
    typeName: scalarNames[t] ?? String(t),
    utf8: t === ScalarType.STRING && utf8,
    packable: list && t !== ScalarType.STRING && t !== ScalarType.BYTES,
  });
  const enumValue = (typeName: string, list = false): ValuePlan => ({
    wireType: VARINT,
    typeName: `enum ${typeName}`,
    utf8: false,
    packable: list,
  });
  switch (field.fieldKind) {
    case "scalar":
      return { name: field.name, repeated: false, value: scalarValue(field.scalar, field.utf8Validation) };
    case "enum":
      return { name: field.name, repeated: false, value: enumValue(field.enum.typeName) };
    case "message":
      return {
        name: field.name,
        repeated: false,
        value: messageValue(field.message, field.delimitedEncoding),
      };
    case "list": {
      const value =
        field.listKind === "scalar"
          ? scalarValue(field.scalar, field.utf8Validation, true)
          : field.listKind === "enum"
            ? enumValue(field.enum.typeName, true)
            : messageValue(field.message, field.delimitedEncoding);
      return { name: field.name, repeated: true, value };
    }
    case "map": {
      const key = scalarValue(field.mapKey, field.utf8Validation);
      const value =
        field.mapKind === "scalar"
          ? scalarValue(field.scalar, field.utf8Validation)
          : field.mapKind === "enum"
            ? enumValue(field.enum.typeName)
            : messageValue(field.message, false);
      const entry: ValuePlan = { wireType: LEN, typeName: "map entry", utf8: false, packable: false };
      return { name: field.name, repeated: true, value: entry, map: { key, value } };
    }
  }
}

interface Cursor {
  readonly buf: Uint8Array;
  pos: number;
}

/** Reads a varint of at most 32 significant bits (tags, lengths). */
function readVarint32(c: Cursor, end: number, what: string): number {
  let result = 0;
  let shift = 0;
  const start = c.pos;
  for (;;) {
    if (c.pos >= end) throw new WireProblem("truncated", `the payload ends inside the ${what} varint`, start);
    const b = c.buf[c.pos++] ?? 0;
    if (shift < 28) result |= (b & 0x7f) << shift;
    else {
      if ((b & 0x70) !== 0) {
        throw new WireProblem("invalid-varint", `the ${what} varint does not fit in 32 bits`, start);
      }
      result += (b & 0x0f) * 2 ** 28;
    }
    if ((b & 0x80) === 0) break;
    shift += 7;
    if (shift >= 35)
      throw new WireProblem("invalid-varint", `the ${what} varint is longer than 5 bytes`, start);
  }
  return result >>> 0;
}

function skipVarint(c: Cursor, end: number): void {
  const start = c.pos;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new WireProblem("truncated", "the payload ends inside a varint", start);
    if (((c.buf[c.pos++] ?? 0) & 0x80) === 0) return;
  }
  throw new WireProblem("invalid-varint", "a varint is longer than 10 bytes", start);
}

function skipFixed(c: Cursor, end: number, n: number): void {
  if (end - c.pos < n) {
    throw new WireProblem(
      "truncated",
      `a ${n * 8}-bit value needs ${n} bytes, only ${end - c.pos} are left`,
      c.pos,
    );
  }
  c.pos += n;
}

/** Reads a LEN record's length and returns where its body ends. */
function readLength(c: Cursor, end: number): number {
  const at = c.pos;
  const len = readVarint32(c, end, "length");
  if (len > end - c.pos) {
    throw new WireProblem(
      "truncated",
      `the value declares ${len} bytes but only ${end - c.pos} are left`,
      at,
    );
  }
  return c.pos + len;
}

function walkMessage(
  plan: MessagePlan,
  c: Cursor,
  end: number,
  depth: number,
  limit: number,
  group: number | undefined,
): void {
  if (depth > limit) {
    throw new WireProblem("recursion-limit", `messages are nested more than ${limit} deep`, c.pos);
  }
  let field: FieldPlan | undefined;
  let segment = "";
  let counts: Map<number, number> | undefined;
  try {
    while (c.pos < end) {
      field = undefined;
      const tagAt = c.pos;
      const tag = readVarint32(c, end, "tag");
      const no = tag >>> 3;
      const wt = tag & 7;
      if (no === 0)
        throw new WireProblem("invalid-tag", `field number 0 is not allowed (tag at byte ${tagAt})`, tagAt);
      if (wt === EGROUP) {
        if (group === no) return;
        throw new WireProblem("end-group", `an end-group tag for field ${no} that was not opened`, tagAt);
      }
      if (wt > 5)
        throw new WireProblem("wire-type", `field ${no} has wire type ${wt}, which does not exist`, tagAt);
      const f = no < plan.small.length ? plan.small[no] : plan.fields.get(no);
      if (f === undefined) {
        skipUnknown(c, end, no, wt, depth, limit);
        continue;
      }
      field = f;
      segment = f.name;
      if (f.repeated) {
        counts ??= new Map();
        const index = counts.get(no) ?? 0;
        counts.set(no, index + 1);
        segment = `${f.name}[${index}]`;
        if (f.value.packable && wt === LEN) {
          // A packed run of elements: its own loop names the element it fails in.
          segment = f.name;
          walkPacked(f, c, end, index, counts, no);
          continue;
        }
      }
      if (f.map !== undefined) {
        if (wt !== LEN) throw wrongWireType(f.value, wt, no, tagAt);
        // The entry names itself by its key in the path.
        segment = f.name;
        walkMapEntry(f.map, c, readLength(c, end), depth, limit);
        continue;
      }
      walkValue(f.value, c, end, wt, no, tagAt, depth, limit);
    }
    field = undefined;
    if (group !== undefined) {
      throw new WireProblem("end-group", `group field ${group} has no end-group tag`, c.pos);
    }
  } catch (e) {
    if (e instanceof WireProblem && field !== undefined) e.segments.unshift(segment);
    throw e;
  }
}

function wrongWireType(value: ValuePlan, wt: number, no: number, at: number): WireProblem {
  const packed = value.packable ? ` or LEN (2) when packed` : "";
  return new WireProblem(
    "wire-type",
    `field ${no} is ${value.typeName} and must be written with wire type ${wireName(value.wireType)}${packed}, but the payload uses ${wireName(wt)}`,
    at,
  );
}

function walkValue(
  value: ValuePlan,
  c: Cursor,
  end: number,
  wt: number,
  no: number,
  tagAt: number,
  depth: number,
  limit: number,
): void {
  if (wt !== value.wireType) throw wrongWireType(value, wt, no, tagAt);
  switch (wt) {
    case VARINT:
      skipVarint(c, end);
      return;
    case I64:
      skipFixed(c, end, 8);
      return;
    case I32:
      skipFixed(c, end, 4);
      return;
    case SGROUP:
      if (value.message === undefined)
        throw new WireProblem("wire-type", `field ${no} is not a group`, c.pos);
      walkMessage(value.message, c, end, depth + 1, limit, no);
      return;
    case LEN: {
      const bodyEnd = readLength(c, end);
      if (value.message !== undefined) {
        walkMessage(value.message, c, bodyEnd, depth + 1, limit, undefined);
      } else {
        if (value.utf8 && !isValidUtf8(c.buf, c.pos, bodyEnd)) {
          throw new WireProblem(
            "utf8",
            `field ${no} is string but holds bytes that are not valid UTF-8`,
            c.pos,
          );
        }
        c.pos = bodyEnd;
      }
      return;
    }
  }
}

function walkPacked(
  f: FieldPlan,
  c: Cursor,
  end: number,
  firstIndex: number,
  counts: Map<number, number>,
  no: number,
): void {
  const bodyEnd = readLength(c, end);
  let index = firstIndex;
  try {
    while (c.pos < bodyEnd) {
      if (f.value.wireType === VARINT) skipVarint(c, bodyEnd);
      else skipFixed(c, bodyEnd, f.value.wireType === I64 ? 8 : 4);
      index++;
    }
  } catch (e) {
    if (e instanceof WireProblem) e.segments.unshift(`[${index}]`);
    throw e;
  } finally {
    // The caller already counted one element for this record.
    counts.set(no, index);
  }
}

/** Walks a map entry; on a problem, names the entry by its key (when the key was read before it). */
function walkMapEntry(
  map: NonNullable<FieldPlan["map"]>,
  c: Cursor,
  end: number,
  depth: number,
  limit: number,
): void {
  let keyStart = -1;
  let keyEnd = -1;
  try {
    while (c.pos < end) {
      const tagAt = c.pos;
      const tag = readVarint32(c, end, "tag");
      const no = tag >>> 3;
      const wt = tag & 7;
      if (no === 1) {
        keyStart = c.pos;
        walkValue(map.key, c, end, wt, 1, tagAt, depth, limit);
        keyEnd = c.pos;
      } else if (no === 2) {
        walkValue(map.value, c, end, wt, 2, tagAt, depth, limit);
      } else {
        if (no === 0) throw new WireProblem("invalid-tag", "field number 0 is not allowed", tagAt);
        skipUnknown(c, end, no, wt, depth, limit);
      }
    }
  } catch (e) {
    if (e instanceof WireProblem) {
      const key = keyEnd > keyStart ? mapKeyText(map.key, c.buf.subarray(keyStart, keyEnd)) : "?";
      e.segments.unshift(`[${key}]`);
    }
    throw e;
  }
}

/** A map key for a path: strings quoted, numbers as written (only used on the failure path). */
function mapKeyText(key: ValuePlan, raw: Uint8Array): string {
  if (key.wireType === LEN) {
    // raw = length varint + text
    let i = 0;
    while (i < raw.length && ((raw[i] ?? 0) & 0x80) !== 0) i++;
    return JSON.stringify(new TextDecoder().decode(raw.subarray(i + 1)));
  }
  if (key.wireType === VARINT) {
    let value = 0n;
    for (let i = 0; i < raw.length; i++) value |= BigInt((raw[i] ?? 0) & 0x7f) << BigInt(7 * i);
    return value.toString();
  }
  return `0x${Buffer.from(raw).toString("hex")}`;
}

// An unknown group is walked as a message without known fields.
const unknownGroup: MessagePlan = { typeName: "", fields: new Map(), small: [] };

function skipUnknown(c: Cursor, end: number, no: number, wt: number, depth: number, limit: number): void {
  switch (wt) {
    case VARINT:
      return skipVarint(c, end);
    case I64:
      return skipFixed(c, end, 8);
    case I32:
      return skipFixed(c, end, 4);
    case LEN:
      c.pos = readLength(c, end);
      return;
    case SGROUP:
      walkMessage(unknownGroup, c, end, depth + 1, limit, no);
      return;
    case EGROUP:
      throw new WireProblem("end-group", `an end-group tag for field ${no} that was not opened`, c.pos);
    default:
      throw new WireProblem("wire-type", `field ${no} has wire type ${wt}, which does not exist`, c.pos);
  }
}

/** UTF-8 check with an ASCII fast path: most strings are ASCII, and a native call costs more than the loop. */
function isValidUtf8(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if ((buf[i] ?? 0) >= 0x80) return isUtf8(buf.subarray(i, end));
  }
  return true;
}
