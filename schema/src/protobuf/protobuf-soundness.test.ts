// A property test: whenever the checker says BACKWARD holds, every random record encoded with a message of
// the older schema must decode as the same-named message of the newer one — Weir's own wire checker (the
// produce-time validator) accepts it, @bufbuild/protobuf's fromBinary reads it — and no field the record
// set may read back as unset (e.g. two formerly independent fields that became one oneof). FORWARD is
// checked the same way with the roles swapped. Schemas are random, pairs are mutations of each other;
// the seed is fixed so a failure reproduces. All pairs go into one tree per side: two `buf build` calls.
import assert from "node:assert/strict";
import { suite, test } from "node:test";
import {
  fromBinary,
  toBinary,
  type DescField,
  type DescMessage,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { fromJson, toJson } from "@bufbuild/protobuf";
import { reflect, type ReflectList, type ReflectMap, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { ScalarType } from "@bufbuild/protobuf";
import type { Direction } from "../jsonschema/changes.js";
import type { ProtobufBreakingCategory } from "./buf-breaking.js";
import type { CompiledProtoFiles } from "./compile-proto-files.js";
import { compileProtobufFiles } from "./protobuf-tree.js";
import { diffProtobufStructure } from "./protobuf-structure-diff.js";
import { compileWireChecker } from "./wire-checker.js";

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scalars = [
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "bool",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "float",
  "double",
  "string",
  "bytes",
];

interface FieldModel {
  name: string;
  number: number;
  /** A scalar name, "E" (the file's enum) or a message name. */
  type: string;
  label: "" | "optional" | "repeated";
  oneof?: string;
  /** map<key, type> when set. */
  mapKey?: string;
}
interface MessageModel {
  name: string;
  fields: FieldModel[];
}
interface FileModel {
  pkg: string;
  messages: MessageModel[];
}

const clone = (f: FileModel): FileModel => JSON.parse(JSON.stringify(f)) as FileModel;

function render(f: FileModel): string {
  const lines = [
    'syntax = "proto3";',
    `package ${f.pkg};`,
    "enum E {",
    "  E_ZERO = 0;",
    "  E_ONE = 1;",
    "  E_TWO = 2;",
    "}",
  ];
  for (const m of f.messages) {
    lines.push(`message ${m.name} {`);
    const decl = (x: FieldModel): string =>
      x.mapKey !== undefined
        ? `map<${x.mapKey}, ${x.type}> ${x.name} = ${x.number};`
        : `${x.label === "" ? "" : `${x.label} `}${x.type} ${x.name} = ${x.number};`;
    for (const x of m.fields.filter((x) => x.oneof === undefined)) lines.push(`  ${decl(x)}`);
    for (const o of new Set(m.fields.flatMap((x) => (x.oneof === undefined ? [] : [x.oneof])))) {
      lines.push(`  oneof ${o} {`);
      for (const x of m.fields.filter((y) => y.oneof === o)) lines.push(`    ${decl(x)}`);
      lines.push("  }");
    }
    lines.push("}");
  }
  return lines.join("\n") + "\n";
}

function generators(rnd: () => number) {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  let names = 0;
  const fieldType = (m: number): string => {
    // Messages only refer to later messages, so the model stays acyclic.
    const refs = [...Array(3).keys()].filter((i) => i > m).map((i) => `M${i}`);
    const r = rnd();
    return r < 0.15 ? "E" : r < 0.3 && refs.length > 0 ? pick(refs) : pick(scalars);
  };
  const field = (m: number, number: number): FieldModel => {
    const type = fieldType(m);
    const r = rnd();
    const f: FieldModel = {
      name: `f${names++}`,
      number,
      type,
      label: r < 0.25 ? "repeated" : r < 0.4 ? "optional" : "",
    };
    if (rnd() < 0.08 && type !== "E") {
      f.mapKey = pick(["string", "int32", "int64", "bool", "uint32"]);
      f.label = "";
    }
    return f;
  };
  const file = (pkg: string): FileModel => {
    const messages: MessageModel[] = [];
    for (let m = 0; m < 3; m++) {
      const fields: FieldModel[] = [];
      for (let i = 1 + Math.floor(rnd() * 5); i > 0; i--) fields.push(field(m, fields.length + 1));
      if (rnd() < 0.3) {
        for (const x of fields.filter((x) => x.label !== "repeated" && x.mapKey === undefined).slice(0, 2)) {
          x.oneof = "choice";
          x.label = "";
        }
      }
      messages.push({ name: `M${m}`, fields });
    }
    return { pkg, messages };
  };
  const mutate = (old: FileModel): FileModel => {
    const f = clone(old);
    for (let i = 1 + Math.floor(rnd() * 2); i > 0; i--) {
      const mi = Math.floor(rnd() * f.messages.length);
      const m = f.messages[mi]!;
      const x = m.fields.length > 0 ? pick(m.fields) : undefined;
      const free = Math.max(0, ...m.fields.map((y) => y.number)) + 1;
      const singular = (y: FieldModel): boolean => y.label !== "repeated" && y.mapKey === undefined;
      switch (
        pick([
          "type",
          "type",
          "type",
          "label",
          "remove",
          "add",
          "renumber",
          "rename",
          "oneofIn",
          "oneofOut",
          "oneofRename",
          "message",
          "pkg",
        ])
      ) {
        case "type":
          if (x) x.type = rnd() < 0.7 ? pick([...scalars, "E"]) : fieldType(mi);
          break;
        case "label":
          if (x && x.oneof === undefined && x.mapKey === undefined)
            x.label = pick(["", "optional", "repeated"] as const);
          break;
        case "remove":
          if (x) m.fields.splice(m.fields.indexOf(x), 1);
          break;
        case "add":
          m.fields.push(field(mi, free));
          break;
        case "renumber":
          if (x) x.number = free;
          break;
        case "rename":
          if (x) x.name = `f${names++}`;
          break;
        case "oneofIn": {
          const moved = m.fields.filter(singular).slice(0, rnd() < 0.5 ? 1 : 2);
          const name = pick(["choice", "other"]);
          for (const y of moved) {
            y.oneof = name;
            y.label = "";
          }
          break;
        }
        case "oneofOut":
          if (x) delete x.oneof;
          break;
        case "oneofRename":
          for (const y of m.fields) if (y.oneof !== undefined) y.oneof = "renamed";
          break;
        case "message":
          if (rnd() < 0.5) f.messages.splice(mi, 1);
          else m.name = `${m.name}X`;
          // Keep references valid: fields of a removed / renamed type become strings.
          for (const n of f.messages)
            for (const y of n.fields)
              if (!f.messages.some((k) => k.name === y.type) && /^M\d/.test(y.type)) y.type = "string";
          break;
        case "pkg":
          f.pkg = `${f.pkg}x`;
          break;
      }
      // Map keys and values are restricted: keep them valid.
      for (const n of f.messages)
        for (const y of n.fields) if (y.mapKey !== undefined && y.type === "E") delete y.mapKey;
    }
    return f;
  };
  return { file, mutate, pick };
}

/** A random record of `desc`: every non-repeated value is non-zero, so it is always on the wire. */
function randomRecord(desc: DescMessage, rnd: () => number, depth = 0): ReflectMessage {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const msg = reflect(desc);
  const int = (): number => (1 + Math.floor(rnd() * 1e9)) * (rnd() < 0.3 ? -1 : 1);
  const scalar = (t: ScalarType): unknown => {
    switch (t) {
      case ScalarType.BOOL:
        return true;
      case ScalarType.STRING:
        return pick(["a", "héllo", "🙂", "xyz"]);
      case ScalarType.BYTES:
        return pick([new Uint8Array([0xff, 0xfe]), new Uint8Array([0x61]), new Uint8Array([0xc3, 0x28])]);
      case ScalarType.FLOAT:
      case ScalarType.DOUBLE:
        return pick([1.5, -2.25, 3]);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return Math.abs(int());
      case ScalarType.INT32:
      case ScalarType.SINT32:
      case ScalarType.SFIXED32:
        return int();
      case ScalarType.UINT64:
      case ScalarType.FIXED64:
        return BigInt(Math.abs(int()));
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64:
        return BigInt(int());
    }
  };
  const value = (f: DescField): unknown => {
    switch (f.fieldKind) {
      case "scalar":
        return scalar(f.scalar);
      case "enum":
        return pick([1, 2, 7]);
      case "message":
        return randomRecord(f.message, rnd, depth + 1);
      case "list":
      case "map":
        return undefined;
    }
  };
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      if (rnd() < 0.8) {
        const f = pick(member.fields);
        if (f.fieldKind !== "message" || depth < 3) msg.set(f, value(f));
      }
      continue;
    }
    const f = member;
    if (
      rnd() < 0.25 ||
      (depth >= 3 && (f.fieldKind === "message" || f.fieldKind === "list" || f.fieldKind === "map"))
    )
      continue;
    if (f.fieldKind === "list") {
      const list: ReflectList = msg.get(f);
      for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) {
        list.add(
          f.listKind === "scalar"
            ? scalar(f.scalar)
            : f.listKind === "enum"
              ? pick([1, 2])
              : randomRecord(f.message, rnd, depth + 1),
        );
      }
    } else if (f.fieldKind === "map") {
      const map: ReflectMap = msg.get(f);
      const key =
        f.mapKey === ScalarType.BOOL ? true : f.mapKey === ScalarType.STRING ? "k" : scalar(f.mapKey);
      map.set(
        key,
        f.mapKind === "scalar"
          ? scalar(f.scalar)
          : f.mapKind === "enum"
            ? 1
            : randomRecord(f.message, rnd, depth + 1),
      );
    } else {
      msg.set(f, value(f));
    }
  }
  return msg;
}

/** Why `bytes` (a record of `writer`) does not read as `reader`, or undefined when it does. */
function readProblem(
  writer: ReflectMessage,
  bytes: Uint8Array,
  reader: DescMessage | undefined,
): string | undefined {
  if (reader === undefined) return "the reader has no message of that name";
  try {
    compileWireChecker(reader)(bytes);
    const read = reflect(reader, fromBinary(reader, bytes));
    for (const wf of writer.fields) {
      if (!writer.isSet(wf)) continue;
      const rf = reader.fields.find((f) => f.number === wf.number);
      if (rf !== undefined && !read.isSet(rf)) return `field ${wf.number} was set but reads as unset`;
    }
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/** Why a JSON record of `writer` does not parse as `reader` (unknown names ignored), or undefined. */
function jsonReadProblem(writer: ReflectMessage, reader: DescMessage | undefined): string | undefined {
  if (reader === undefined) return "the reader has no message of that name";
  try {
    const json = toJson(writer.desc, writer.message);
    const read = reflect(reader, fromJson(reader, json, { ignoreUnknownFields: true }));
    for (const wf of writer.fields) {
      if (!writer.isSet(wf)) continue;
      const rf = reader.fields.find((f) => f.number === wf.number);
      if (rf !== undefined && !read.isSet(rf))
        return `field ${wf.number} was set but reads as unset from JSON`;
    }
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

const pairs = 250;
let trees:
  | Promise<{
      older: Map<string, string>;
      newer: Map<string, string>;
      o: CompiledProtoFiles;
      n: CompiledProtoFiles;
    }>
  | undefined;

/** The random pairs, compiled once for both tests: one tree per side, two `buf build` calls. */
function randomTrees(): NonNullable<typeof trees> {
  trees ??= (async () => {
    const g = generators(random(0x9e3779b9));
    const older = new Map<string, string>();
    const newer = new Map<string, string>();
    for (let i = 0; i < pairs; i++) {
      const base = g.file(`p${i}`);
      older.set(`p${i}.proto`, render(base));
      newer.set(`p${i}.proto`, render(g.mutate(base)));
    }
    const [o, n] = await Promise.all([compileProtobufFiles(older), compileProtobufFiles(newer)]);
    return { older, newer, o, n };
  })();
  return trees;
}

/**
 * For every pair and direction the checker (in `category`) calls compatible, encodes random records of
 * every writer message and reads them back with `read`; returns the failures and the verdict counts.
 */
async function unsoundVerdicts(
  category: ProtobufBreakingCategory,
  read: (record: ReflectMessage, reader: DescMessage | undefined) => string | undefined,
): Promise<{ failures: string[]; counts: { compatible: number; incompatible: number } }> {
  const { older, newer, o, n } = await randomTrees();
  const rnd = random(0x51ed270b);
  const counts = { compatible: 0, incompatible: 0 };
  const failures: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const mainFile = `p${i}.proto`;
    for (const direction of ["backward", "forward"] as Direction[]) {
      const changes = diffProtobufStructure({
        older: { registry: o.registry, mainFile },
        newer: { registry: n.registry, mainFile },
        direction,
        category,
      });
      if (changes.some((c) => c.breaking)) {
        counts.incompatible++;
        continue;
      }
      counts.compatible++;
      const [writer, reader]: [FileRegistry, FileRegistry] =
        direction === "backward" ? [o.registry, n.registry] : [n.registry, o.registry];
      const readerFile = reader.getFile(mainFile)!;
      for (const w of writer.getFile(mainFile)!.messages) {
        const r = readerFile.messages.find((m) => m.name === w.name);
        for (let k = 0; k < 15; k++) {
          const problem = read(randomRecord(w, rnd), r);
          if (problem !== undefined) {
            failures.push(
              `${mainFile} ${direction} ${w.name}: ${problem}\n--- older\n${older.get(mainFile)}--- newer\n${newer.get(mainFile)}`,
            );
            break;
          }
        }
      }
    }
  }
  return { failures, counts };
}

void suite("Protobuf compatibility soundness (property)", () => {
  void test("whenever BACKWARD (FORWARD) holds, every record of the writer decodes under the reader", async () => {
    const { failures, counts } = await unsoundVerdicts("WIRE", (record, reader) =>
      readProblem(record, toBinary(record.desc, record.message), reader),
    );
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} unsound verdict(s)`);
    // The generator must exercise both verdicts (a checker that rejects everything is trivially sound).
    assert.ok(counts.compatible > pairs / 3, JSON.stringify(counts));
    assert.ok(counts.incompatible > pairs / 5, JSON.stringify(counts));
  });

  void test("whenever a FULL check (WIRE_JSON) passes a direction, the writer's JSON parses under the reader", async () => {
    const { failures, counts } = await unsoundVerdicts("WIRE_JSON", jsonReadProblem);
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} unsound verdict(s)`);
    assert.ok(counts.compatible > pairs / 4, JSON.stringify(counts));
  });
});
