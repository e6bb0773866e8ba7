import {
  ScalarType,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { FeatureSet_FieldPresence } from "@bufbuild/protobuf/wkt";
import { WeirError } from "@weir/common";
import type { Direction, SchemaChange } from "../jsonschema/changes.js";
import type { ProtobufBreakingCategory } from "./buf-breaking.js";
import { sourceLocation, type LocatableDesc } from "./proto-source-locations.js";

/**
 * The changes the Protobuf checker names. Where Confluent Schema Registry has a name for a change
 * (io.confluent.kafka.schemaregistry.protobuf.diff.Difference.Type) it is used, so people moving from
 * Confluent recognise them; the others are Weir's (FIELD_NUMBER_CHANGED is Karapace's FIELD_TAG_ALTER).
 */
export type ProtobufChangeType =
  | "PACKAGE_CHANGED"
  | "MESSAGE_REMOVED"
  | "FIELD_REMOVED"
  | "FIELD_NUMBER_CHANGED"
  | "FIELD_NAME_CHANGED"
  | "FIELD_KIND_CHANGED"
  | "FIELD_ENCODING_CHANGED"
  | "FIELD_SCALAR_KIND_CHANGED"
  | "FIELD_NAMED_TYPE_CHANGED"
  | "FIELD_NUMERIC_LABEL_CHANGED"
  | "FIELD_STRING_OR_BYTES_LABEL_CHANGED"
  | "FIELD_MESSAGE_LABEL_CHANGED"
  | "REQUIRED_FIELD_ADDED"
  | "REQUIRED_FIELD_REMOVED"
  | "ONEOF_FIELD_REMOVED"
  | "MULTIPLE_FIELDS_MOVED_TO_ONEOF"
  | "FIELD_MOVED_TO_EXISTING_ONEOF"
  | "ENUM_CONST_REMOVED"
  | "ENUM_CONST_CHANGED";

/** One compiled side of a comparison: the descriptors of a build and which file is the subject's schema. */
export interface ProtobufSchemaSide {
  readonly registry: FileRegistry;
  /** Import path of the file whose messages records are encoded with. */
  readonly mainFile: string;
}

/** A change, located in the version it names (`side`): removed things are only in the older one. */
export interface ProtobufStructureChange extends SchemaChange<ProtobufChangeType> {
  readonly side: "older" | "newer";
}

/** Options of {@link diffProtobufStructure}. */
export interface ProtobufStructureDiffOptions {
  readonly older: ProtobufSchemaSide;
  readonly newer: ProtobufSchemaSide;
  /** `backward`: readers on `newer` read data written with `older`; `forward`: the reverse. */
  readonly direction: Direction;
  /** `WIRE_JSON` also keeps protobuf's JSON form readable (names, JSON value shapes). @default "WIRE" */
  readonly category?: ProtobufBreakingCategory;
}

/** Scalar groups whose members share one wire encoding (protobuf's "updating a message type" rules). */
type ScalarGroup = "varint" | "zigzag" | "fixed32" | "fixed64" | "float" | "double" | "length";

function scalarGroup(t: ScalarType): ScalarGroup {
  switch (t) {
    case ScalarType.INT32:
    case ScalarType.INT64:
    case ScalarType.UINT32:
    case ScalarType.UINT64:
    case ScalarType.BOOL:
      return "varint";
    case ScalarType.SINT32:
    case ScalarType.SINT64:
      return "zigzag";
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return "fixed32";
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return "fixed64";
    case ScalarType.FLOAT:
      return "float";
    case ScalarType.DOUBLE:
      return "double";
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return "length";
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

/** What a field (or a map key / value) holds, flattened out of @bufbuild/protobuf's field kinds. */
type Shape =
  | { kind: "scalar"; scalar: ScalarType; repeated: boolean; utf8: boolean }
  | { kind: "enum"; enum: DescEnum; repeated: boolean }
  | { kind: "message"; message: DescMessage; repeated: boolean; delimited: boolean }
  | { kind: "map"; key: Shape; value: Shape; repeated: true };

function shapeOf(f: DescField): Shape {
  switch (f.fieldKind) {
    case "scalar":
      return { kind: "scalar", scalar: f.scalar, repeated: false, utf8: f.utf8Validation };
    case "enum":
      return { kind: "enum", enum: f.enum, repeated: false };
    case "message":
      return { kind: "message", message: f.message, repeated: false, delimited: f.delimitedEncoding };
    case "list":
      return f.listKind === "scalar"
        ? { kind: "scalar", scalar: f.scalar, repeated: true, utf8: f.utf8Validation }
        : f.listKind === "enum"
          ? { kind: "enum", enum: f.enum, repeated: true }
          : { kind: "message", message: f.message, repeated: true, delimited: f.delimitedEncoding };
    case "map": {
      const key: Shape = { kind: "scalar", scalar: f.mapKey, repeated: false, utf8: f.utf8Validation };
      const value: Shape =
        f.mapKind === "scalar"
          ? { kind: "scalar", scalar: f.scalar, repeated: false, utf8: f.utf8Validation }
          : f.mapKind === "enum"
            ? { kind: "enum", enum: f.enum, repeated: false }
            : { kind: "message", message: f.message, repeated: false, delimited: false };
      return { kind: "map", key, value, repeated: true };
    }
  }
}

function shapeText(s: Shape): string {
  const label = s.kind !== "map" && s.repeated ? "repeated " : "";
  switch (s.kind) {
    case "scalar":
      return `${label}${scalarNames[s.scalar] ?? String(s.scalar)}${s.scalar === ScalarType.STRING && !s.utf8 ? " (not checked for UTF-8)" : ""}`;
    case "enum":
      return `${label}enum ${s.enum.typeName}`;
    case "message":
      return `${label}${s.delimited ? "group" : "message"} ${s.message.typeName}`;
    case "map":
      return `map<${shapeText(s.key)}, ${shapeText(s.value)}>`;
  }
}

/** Well-known types with their own JSON form: a plain message of the same structure is not JSON-compatible. */
const specialJsonTypes = new Set(
  [
    "Any",
    "Timestamp",
    "Duration",
    "Struct",
    "Value",
    "ListValue",
    "NullValue",
    "FieldMask",
    "Empty",
    "DoubleValue",
    "FloatValue",
    "Int64Value",
    "UInt64Value",
    "Int32Value",
    "UInt32Value",
    "BoolValue",
    "StringValue",
    "BytesValue",
  ].map((n) => `google.protobuf.${n}`),
);

const isRequired = (f: DescField): boolean => f.presence === FeatureSet_FieldPresence.LEGACY_REQUIRED;

/** The name of a type inside its package (`Order.Item` for `shop.v1.Order.Item`). */
function localName(desc: DescMessage | DescEnum): string {
  const pkg = desc.file.proto.package;
  return pkg !== "" && desc.typeName.startsWith(`${pkg}.`)
    ? desc.typeName.slice(pkg.length + 1)
    : desc.typeName;
}

function fieldPath(f: DescField): string {
  return `${localName(f.parent)}.${f.name}`;
}

function mainFileOf(side: ProtobufSchemaSide, which: string): DescFile {
  const file = side.registry.getFile(side.mainFile);
  if (file === undefined) {
    throw new WeirError("INTERNAL", `the ${which} build has no file "${side.mainFile}" to compare`);
  }
  return file;
}

/**
 * Compares two versions of a Protobuf schema by structure, as the readers of a subject see it.
 *
 * A record of a subject is encoded with one of the messages declared in the schema's main file (Confluent's
 * serializers name it by its index there), so every message of the writer's main file, nested ones
 * included, must still exist under the same name in the reader's (MESSAGE_REMOVED otherwise) and must
 * decode what the writer wrote. Messages are compared field by field BY NUMBER: wire encoding group
 * (int32/int64/uint32/uint64/bool/enum share the varint, sint* the zigzag varint, fixed32/sfixed32,
 * fixed64/sfixed64, string/bytes), cardinality (numeric fields change encoding when packed), oneof
 * membership (Confluent's rules: newly mutually exclusive fields break), proto2 `required`, and the
 * structure of every message type a field refers to — recursively, through imports, whatever the type's
 * name, file or package. Names matter only in the `WIRE_JSON` category, where protobuf's JSON form uses
 * them. Changes are located at file:line:col in the version that has them.
 *
 * `backward`: the writer is `older`, the reader `newer`; `forward`: the reverse.
 */
export function diffProtobufStructure(options: ProtobufStructureDiffOptions): ProtobufStructureChange[] {
  return new StructureDiff(options).run();
}

/** A writer's message compared with the reader's, and the fields of other pairs that refer to it. */
interface MessagePair {
  readonly w: DescMessage;
  readonly r: DescMessage;
  breaking: boolean;
  readonly referrers: Array<{ readonly from: MessagePair; readonly report: () => void }>;
}

class StructureDiff {
  private readonly direction: Direction;
  private readonly json: boolean;
  private readonly older: DescFile;
  private readonly newer: DescFile;
  private readonly changes: ProtobufStructureChange[] = [];
  /** Every (writer, reader) message pair to compare, once each. */
  private readonly pairs = new Map<DescMessage, Map<DescMessage, MessagePair>>();
  /** Pairs not compared yet: a work list, so deep or recursive type graphs need no deep call stack. */
  private readonly queue: MessagePair[] = [];
  private current: MessagePair | undefined;
  private readonly enums = new Map<DescEnum, Set<DescEnum>>();

  constructor(options: ProtobufStructureDiffOptions) {
    this.direction = options.direction;
    this.json = options.category === "WIRE_JSON";
    this.older = mainFileOf(options.older, "older");
    this.newer = mainFileOf(options.newer, "newer");
  }

  run(): ProtobufStructureChange[] {
    const writer = this.direction === "backward" ? this.older : this.newer;
    const reader = this.direction === "backward" ? this.newer : this.older;
    if (writer.proto.package !== reader.proto.package) {
      this.add("PACKAGE_CHANGED", false, writer, reader, "", {
        what: `the package changed from "${this.older.proto.package}" to "${this.newer.proto.package}"`,
        why: "payloads do not carry the package, so readers still decode them; code that names types by their full name (generated classes, google.protobuf.Any type URLs, message lookups by name) must follow the new names",
        fix: "keep the package if any consumer looks types up by full name",
      });
    }
    this.compareTypeLists(writer.messages, reader.messages, writer.enums, reader.enums);
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      this.current = next;
      const before = this.changes.length;
      this.compareFields(next.w, next.r);
      next.breaking = this.changes.slice(before).some((c) => c.breaking);
    }
    this.current = undefined;
    // A field of a message type breaks when its type's pair does, which may be through other types.
    const broken = [...this.pairs.values()].flatMap((m) => [...m.values()]).filter((p) => p.breaking);
    for (let p = broken.pop(); p !== undefined; p = broken.pop()) {
      for (const referrer of p.referrers) {
        referrer.report();
        if (!referrer.from.breaking) {
          referrer.from.breaking = true;
          broken.push(referrer.from);
        }
      }
    }
    return this.changes;
  }

  // --- reporting -------------------------------------------------------------------------------------

  private get writerVersion(): string {
    return this.direction === "backward" ? "the older version" : "the newer version";
  }

  private get readerVersion(): string {
    return this.direction === "backward" ? "the newer version" : "the older version";
  }

  /**
   * Records a change located at the declaration on the newer side when there is one (else the older).
   * `writerDesc` / `readerDesc` are the declarations in the writer's and the reader's version.
   */
  private add(
    type: ProtobufChangeType,
    breaking: boolean,
    writerDesc: LocatableDesc | undefined,
    readerDesc: LocatableDesc | undefined,
    path: string,
    text: { what: string; why: string; fix: string },
    oldPath = path,
  ): void {
    const newerDesc = this.direction === "backward" ? readerDesc : writerDesc;
    const olderDesc = this.direction === "backward" ? writerDesc : readerDesc;
    const at = newerDesc ?? olderDesc;
    const side = newerDesc !== undefined ? "newer" : "older";
    const where =
      newerDesc === undefined && olderDesc !== undefined ? " (the position is in the older version)" : "";
    this.changes.push({
      type,
      path,
      oldPath,
      breaking,
      side,
      message: `${text.what}: ${text.why}. Fix: ${text.fix}.${where}`,
      ...(at === undefined ? {} : { location: sourceLocation(at) }),
    });
  }

  // --- types -----------------------------------------------------------------------------------------

  private compareTypeLists(
    writerMessages: readonly DescMessage[],
    readerMessages: readonly DescMessage[],
    writerEnums: readonly DescEnum[],
    readerEnums: readonly DescEnum[],
  ): void {
    const readerByName = new Map(readerMessages.map((m) => [m.name, m]));
    for (const w of writerMessages) {
      const r = readerByName.get(w.name);
      if (r === undefined) {
        const name = localName(w);
        this.add("MESSAGE_REMOVED", true, w, undefined, name, {
          what: `message "${name}" of ${this.writerVersion} is missing from ${this.readerVersion}`,
          why: `records encoded as "${name}" (producers pick the record's message by its place in the schema file) cannot be read as that type by readers on ${this.readerVersion}; renaming a message counts as removing it`,
          fix: `keep message "${name}" in the schema file (add new messages beside it), or register the new shape under a new subject`,
        });
        continue;
      }
      this.pair(w, r);
      this.compareTypeLists(w.nestedMessages, r.nestedMessages, w.nestedEnums, r.nestedEnums);
    }
    const readerEnumByName = new Map(readerEnums.map((e) => [e.name, e]));
    for (const w of writerEnums) {
      const r = readerEnumByName.get(w.name);
      if (r !== undefined) this.compareEnums(w, r);
    }
  }

  /** The pair of `w` (what the writer wrote) and `r` (what the reader reads it as), queued when new. */
  private pair(w: DescMessage, r: DescMessage): MessagePair {
    let byReader = this.pairs.get(w);
    if (byReader === undefined) this.pairs.set(w, (byReader = new Map<DescMessage, MessagePair>()));
    let p = byReader.get(r);
    if (p === undefined) {
      p = { w, r, breaking: false, referrers: [] };
      byReader.set(r, p);
      this.queue.push(p);
    }
    return p;
  }

  private compareFields(w: DescMessage, r: DescMessage): void {
    const wByNo = new Map(w.fields.map((f) => [f.number, f]));
    const rByNo = new Map(r.fields.map((f) => [f.number, f]));
    const rByName = new Map(r.fields.map((f) => [f.name, f]));
    const wByName = new Map(w.fields.map((f) => [f.name, f]));
    this.compareOneofs(w, r, wByNo);

    // A oneof that is gone with all of its members is a plain deletion of fields (Confluent's rule).
    const rOneofs = new Set(r.oneofs.map((o) => o.name));
    const deletedOneofs = new Set(
      w.oneofs
        .filter((o) => !rOneofs.has(o.name) && o.fields.every((f) => !rByNo.has(f.number)))
        .map((o) => o.name),
    );

    const numbers = [...new Set([...wByNo.keys(), ...rByNo.keys()])].sort((a, b) => a - b);
    for (const no of numbers) {
      const wf = wByNo.get(no);
      const rf = rByNo.get(no);
      if (wf !== undefined && rf === undefined) {
        this.fieldGone(wf, r, rByName, deletedOneofs);
      } else if (wf === undefined && rf !== undefined) {
        if (isRequired(rf)) {
          this.add("REQUIRED_FIELD_ADDED", true, undefined, rf, fieldPath(rf), {
            what: `required field "${fieldPath(rf)}" (${rf.number}) of ${this.readerVersion} is not in ${this.writerVersion}`,
            why: `readers on ${this.readerVersion} reject every record written without it`,
            fix: "make the new field optional",
          });
        }
      } else if (wf !== undefined && rf !== undefined) {
        // Two fields that swapped numbers read each other's values (Karapace's FIELD_TAG_ALTER). A field
        // renamed while a new one takes its old name is the usual deprecation pattern and stays fine.
        const swapped = rByName.get(wf.name);
        if (wf.name !== rf.name && swapped !== undefined && wByName.has(rf.name)) {
          this.renumbered(wf, swapped);
        }
        this.compareField(wf, rf);
      }
    }
  }

  /** Confluent's oneof rules: fields that were independent must not become mutually exclusive. */
  private compareOneofs(w: DescMessage, r: DescMessage, wByNo: ReadonlyMap<number, DescField>): void {
    for (const oneof of r.oneofs) {
      const groups = new Set<string>();
      const movedIn: DescField[] = [];
      for (const f of oneof.fields) {
        const wf = wByNo.get(f.number);
        if (wf === undefined) continue; // new fields were never set in old data
        if (wf.oneof !== undefined) groups.add(`oneof:${wf.oneof.name}`);
        else {
          groups.add(`field:${wf.number}`);
          movedIn.push(wf);
        }
      }
      if (groups.size <= 1) continue;
      const path = `${localName(r)}.${oneof.name}`;
      const wOneof = w.oneofs.find((o) => o.name === oneof.name);
      const fields = oneof.fields
        .filter((f) => wByNo.has(f.number))
        .map((f) => `"${f.name}" (${f.number})`)
        .join(", ");
      const text = {
        what: `oneof "${path}" of ${this.readerVersion} holds fields ${fields} that ${this.writerVersion} can set together`,
        why: `a record written with several of them set loses all but the last one when read on ${this.readerVersion}`,
        fix: "keep fields that existed outside a oneof out of it (only a single existing field may move into a new oneof); add new fields to the oneof instead",
      };
      this.add(
        movedIn.length > 1 ? "MULTIPLE_FIELDS_MOVED_TO_ONEOF" : "FIELD_MOVED_TO_EXISTING_ONEOF",
        true,
        wOneof,
        oneof,
        path,
        text,
      );
    }
  }

  private fieldGone(
    wf: DescField,
    r: DescMessage,
    rByName: ReadonlyMap<string, DescField>,
    deletedOneofs: ReadonlySet<string>,
  ): void {
    const path = fieldPath(wf);
    const renumbered = rByName.get(wf.name);
    if (wf.oneof !== undefined && !deletedOneofs.has(wf.oneof.name)) {
      this.add("ONEOF_FIELD_REMOVED", true, wf, undefined, `${localName(wf.parent)}.${wf.oneof.name}`, {
        what: `field "${path}" (${wf.number}) of oneof "${wf.oneof.name}" in ${this.writerVersion} is not in ${this.readerVersion}`,
        why: `a record whose oneof holds it reads on ${this.readerVersion} as if the oneof were not set`,
        fix: "keep the oneof member (mark it deprecated instead)",
      });
    } else if (isRequired(wf)) {
      this.add("REQUIRED_FIELD_REMOVED", true, wf, undefined, path, {
        what: `required field "${path}" (${wf.number}) of ${this.writerVersion} is not in ${this.readerVersion}`,
        why: "records and readers disagree on which fields must be present (readers that still require it reject records written without it)",
        fix: "keep required fields; proto2 `required` can never be removed safely",
      });
    } else if (renumbered !== undefined) {
      this.renumbered(wf, renumbered);
    } else if (this.direction === "backward" && !numberReserved(r, wf.number)) {
      this.add("FIELD_REMOVED", false, wf, undefined, path, {
        what: `field "${path}" (${wf.number}) was deleted without reserving its number`,
        why: "readers skip it in old records, so this is compatible, but a later field that reuses the number would read old values of another type",
        fix: `reserve the number and name: \`reserved ${wf.number}; reserved "${wf.name}";\``,
      });
    }
  }

  private renumbered(wf: DescField, rf: DescField): void {
    const path = fieldPath(wf);
    this.add("FIELD_NUMBER_CHANGED", true, wf, rf, path, {
      what: `field "${path}" has number ${wf.number} in ${this.writerVersion} and ${rf.number} in ${this.readerVersion}`,
      why: `payloads identify fields by number: readers on ${this.readerVersion} do not find the value written as ${wf.number} under "${wf.name}"`,
      fix: `keep number ${wf.number}; to change a field, add a new one with a new number and name and reserve the old ones`,
    });
  }

  private compareField(wf: DescField, rf: DescField): void {
    const path = fieldPath(rf);
    if (this.json && wf.jsonName !== rf.jsonName) {
      this.add(
        "FIELD_NAME_CHANGED",
        true,
        wf,
        rf,
        path,
        {
          what: `field ${rf.number} is "${wf.jsonName}" in the JSON form of ${this.writerVersion} and "${rf.jsonName}" in ${this.readerVersion}`,
          why: "protobuf's JSON form names fields, so JSON written with one version loses the value when read with the other",
          fix: `keep the field name, or set \`json_name = "${wf.jsonName}"\`, or use a mode checked with the WIRE rules only (not FULL)`,
        },
        fieldPath(wf),
      );
    }
    if (isRequired(wf) !== isRequired(rf)) {
      const added = isRequired(rf);
      this.add(added ? "REQUIRED_FIELD_ADDED" : "REQUIRED_FIELD_REMOVED", true, wf, rf, path, {
        what: `field "${path}" (${rf.number}) is ${added ? "required" : "optional"} in ${this.readerVersion} and ${added ? "optional" : "required"} in ${this.writerVersion}`,
        why: "records and readers disagree on which fields must be present",
        fix: "keep the field's label; proto2 `required` can never be added or removed safely",
      });
    }
    this.compareShapes(shapeOf(wf), shapeOf(rf), wf, rf);
  }

  /** Compares what a field (or map key / value) holds; reports at the field. */
  private compareShapes(w: Shape, r: Shape, wf: DescField, rf: DescField): void {
    const path = fieldPath(rf);
    const oldPath = fieldPath(wf);
    const changed = (type: ProtobufChangeType, breaking: boolean, why: string, fix: string): void => {
      this.add(
        type,
        breaking,
        wf,
        rf,
        path,
        {
          what: `field "${path}" (${rf.number}) is ${shapeText(w)} in ${this.writerVersion} and ${shapeText(r)} in ${this.readerVersion}`,
          why,
          fix,
        },
        oldPath,
      );
    };
    const newField =
      "keep the old type; to change it, add a new field with a new number and deprecate (then reserve) the old one";
    const kindClass = (s: Shape): string => (s.kind === "enum" ? "scalar" : s.kind);
    if (kindClass(w) !== kindClass(r)) {
      changed(
        "FIELD_KIND_CHANGED",
        true,
        "the two are encoded differently, so the value cannot be read",
        newField,
      );
      return;
    }
    if (w.kind === "map" && r.kind === "map") {
      this.compareShapes(w.key, r.key, wf, rf);
      this.compareShapes(w.value, r.value, wf, rf);
      return;
    }
    if (w.kind === "message" && r.kind === "message") {
      if (w.delimited !== r.delimited) {
        changed(
          "FIELD_ENCODING_CHANGED",
          true,
          "a group (delimited encoding) and a length-prefixed message use different wire types",
          newField,
        );
        return;
      }
      if (this.json && w.repeated !== r.repeated) {
        changed(
          "FIELD_MESSAGE_LABEL_CHANGED",
          true,
          "the binary form reads either way, but protobuf's JSON form writes a list for a repeated field and an object for a single one",
          "keep the cardinality, or use a mode checked with the WIRE rules only (not FULL)",
        );
      }
      const special = specialJsonTypes.has(w.message.typeName) || specialJsonTypes.has(r.message.typeName);
      if (this.json && special && w.message.typeName !== r.message.typeName) {
        changed(
          "FIELD_NAMED_TYPE_CHANGED",
          true,
          `${w.message.typeName} and ${r.message.typeName} have different JSON forms (well-known types have their own)`,
          newField,
        );
        return;
      }
      const from = this.current;
      const target = this.pair(w.message, r.message);
      if (from !== undefined) {
        target.referrers.push({
          from,
          report: () =>
            changed(
              "FIELD_NAMED_TYPE_CHANGED",
              true,
              `records written with ${this.writerVersion} do not decode as ${r.message.typeName} (see the changes reported inside it)`,
              "undo the changes inside the message type, or give the field a new number",
            ),
        });
      }
      return;
    }
    // Scalars and enums.
    const wGroup = w.kind === "enum" ? "varint" : w.kind === "scalar" ? scalarGroup(w.scalar) : undefined;
    const rGroup = r.kind === "enum" ? "varint" : r.kind === "scalar" ? scalarGroup(r.scalar) : undefined;
    if (wGroup !== rGroup) {
      changed(
        "FIELD_SCALAR_KIND_CHANGED",
        true,
        "the two have different wire encodings, so the value is dropped or misread",
        newField,
      );
      return;
    }
    if (
      r.kind === "scalar" &&
      r.scalar === ScalarType.STRING &&
      r.utf8 &&
      !(w.kind === "scalar" && w.scalar === ScalarType.STRING && w.utf8)
    ) {
      changed(
        "FIELD_SCALAR_KIND_CHANGED",
        true,
        `${this.writerVersion} may hold bytes that are not valid UTF-8, which readers of a string field reject`,
        "keep the field as bytes (string → bytes is the safe direction)",
      );
      return;
    }
    if (this.json && jsonValueKind(w) !== jsonValueKind(r)) {
      changed(
        "FIELD_SCALAR_KIND_CHANGED",
        true,
        `the binary form reads either way, but protobuf's JSON form writes them differently (${jsonValueKind(w)} vs ${jsonValueKind(r)})`,
        "keep the type, or use a mode checked with the WIRE rules only (not FULL)",
      );
    } else if (this.json && !integerRangeFits(w, r)) {
      // The binary form truncates (int64 → int32) or reinterprets (int32 → uint32); JSON parsers reject
      // a number outside the reader's range instead.
      changed(
        "FIELD_SCALAR_KIND_CHANGED",
        true,
        "the binary form reads either way, but protobuf's JSON form writes the number itself, and JSON readers reject values outside the new type's range",
        "only widen integer types (int32 → int64, uint32 → uint64 or int64), or use a mode checked with the WIRE rules only (not FULL)",
      );
    }
    if (w.repeated !== r.repeated) {
      if (wGroup === "length") {
        if (this.json) {
          changed(
            "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            true,
            "the binary form reads either way, but protobuf's JSON form writes a list for a repeated field",
            "keep the cardinality, or use a mode checked with the WIRE rules only (not FULL)",
          );
        }
      } else {
        changed(
          "FIELD_NUMERIC_LABEL_CHANGED",
          true,
          "repeated numbers are written packed (one length-delimited record), which a singular field cannot read, and the values are lost",
          "keep the cardinality; add a new field for the new shape instead",
        );
      }
    }
    if (w.kind === "enum" && r.kind === "enum") this.compareEnums(w.enum, r.enum);
  }

  private compareEnums(w: DescEnum, r: DescEnum): void {
    let seen = this.enums.get(w);
    if (seen === undefined) this.enums.set(w, (seen = new Set()));
    if (seen.has(r)) return;
    seen.add(r);
    const rByNo = new Map<number, (typeof r.values)[number]>();
    for (const v of r.values) if (!rByNo.has(v.number)) rByNo.set(v.number, v);
    for (const wv of w.values) {
      const rv = rByNo.get(wv.number);
      const path = `${localName(r)}.${wv.name}`;
      if (rv === undefined) {
        if (this.direction === "backward" && !enumNumberReserved(r, wv.number)) {
          this.add("ENUM_CONST_REMOVED", false, wv, undefined, path, {
            what: `enum value "${localName(w)}.${wv.name}" (${wv.number}) was deleted without reserving its number`,
            why: "readers keep the number as an unknown value, so this is compatible, but a later value that reuses the number would change the meaning of old records",
            fix: `reserve the number and name in the enum: \`reserved ${wv.number}; reserved "${wv.name}";\``,
          });
        }
      } else if (this.json && rv.name !== wv.name) {
        this.add("ENUM_CONST_CHANGED", true, wv, rv, path, {
          what: `enum value ${wv.number} of "${localName(r)}" is "${wv.name}" in ${this.writerVersion} and "${rv.name}" in ${this.readerVersion}`,
          why: "protobuf's JSON form writes enum values by name, so JSON readers reject the old name",
          fix: "keep the value's name, or use a mode checked with the WIRE rules only (not FULL)",
        });
      }
    }
  }
}

/** How protobuf's JSON form writes a scalar or enum value. */
function jsonValueKind(s: Shape): string {
  if (s.kind === "enum") return "enum name";
  if (s.kind !== "scalar") return s.kind;
  if (s.scalar === ScalarType.BOOL) return "boolean";
  if (s.scalar === ScalarType.STRING) return "string";
  return s.scalar === ScalarType.BYTES ? "base64 string" : "number";
}

const int32: readonly [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const uint32: readonly [bigint, bigint] = [0n, 2n ** 32n - 1n];
const int64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const uint64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];
const integerRanges: Partial<Record<ScalarType, readonly [bigint, bigint]>> = {
  [ScalarType.INT32]: int32,
  [ScalarType.SINT32]: int32,
  [ScalarType.SFIXED32]: int32,
  [ScalarType.UINT32]: uint32,
  [ScalarType.FIXED32]: uint32,
  [ScalarType.INT64]: int64,
  [ScalarType.SINT64]: int64,
  [ScalarType.SFIXED64]: int64,
  [ScalarType.UINT64]: uint64,
  [ScalarType.FIXED64]: uint64,
};

/** Whether every integer the writer's type holds is in the reader's range (true for non-integers). */
function integerRangeFits(w: Shape, r: Shape): boolean {
  if (w.kind !== "scalar" || r.kind !== "scalar") return true;
  const from = integerRanges[w.scalar];
  const to = integerRanges[r.scalar];
  return from === undefined || to === undefined || (from[0] >= to[0] && from[1] <= to[1]);
}

function numberReserved(m: DescMessage, no: number): boolean {
  // DescriptorProto.ReservedRange.end is exclusive.
  return m.proto.reservedRange.some((r) => no >= r.start && no < r.end);
}

function enumNumberReserved(e: DescEnum, no: number): boolean {
  // EnumDescriptorProto.EnumReservedRange.end is inclusive.
  return e.proto.reservedRange.some((r) => no >= r.start && no <= r.end);
}
