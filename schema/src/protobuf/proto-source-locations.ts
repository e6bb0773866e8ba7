import type {
  DescEnum,
  DescEnumValue,
  DescField,
  DescFile,
  DescMessage,
  DescOneof,
} from "@bufbuild/protobuf";
import type { SourceLocation } from "../jsonschema/changes.js";

/** A declaration whose place in its .proto file can be looked up. */
export type LocatableDesc = DescFile | DescMessage | DescEnum | DescField | DescOneof | DescEnumValue;

// Field numbers of FileDescriptorProto / DescriptorProto / EnumDescriptorProto, as used in
// SourceCodeInfo.Location.path (see google/protobuf/descriptor.proto).
const FILE_PACKAGE = 2;
const FILE_MESSAGE_TYPE = 4;
const FILE_ENUM_TYPE = 5;
const FILE_SYNTAX = 12;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED_TYPE = 3;
const MESSAGE_ENUM_TYPE = 4;
const MESSAGE_ONEOF_DECL = 8;
const ENUM_VALUE = 2;

const spans = new WeakMap<DescFile, Map<string, readonly number[]>>();

function spansOf(file: DescFile): Map<string, readonly number[]> {
  let map = spans.get(file);
  if (map === undefined) {
    map = new Map();
    for (const loc of file.proto.sourceCodeInfo?.location ?? []) {
      const key = loc.path.join(",");
      // The first location of a path is the declaration itself (later ones are its parts).
      if (!map.has(key)) map.set(key, loc.span);
    }
    spans.set(file, map);
  }
  return map;
}

function pathOf(desc: LocatableDesc): { file: DescFile; path: number[] } {
  switch (desc.kind) {
    case "file":
      return { file: desc, path: [] };
    case "message":
    case "enum": {
      const nested = desc.kind === "message" ? MESSAGE_NESTED_TYPE : MESSAGE_ENUM_TYPE;
      const top = desc.kind === "message" ? FILE_MESSAGE_TYPE : FILE_ENUM_TYPE;
      if (desc.parent === undefined) {
        const list: readonly unknown[] =
          desc.kind === "message" ? desc.file.proto.messageType : desc.file.proto.enumType;
        return { file: desc.file, path: [top, list.indexOf(desc.proto)] };
      }
      const parent = pathOf(desc.parent);
      const list: readonly unknown[] =
        desc.kind === "message" ? desc.parent.proto.nestedType : desc.parent.proto.enumType;
      return { file: parent.file, path: [...parent.path, nested, list.indexOf(desc.proto)] };
    }
    case "field": {
      const parent = pathOf(desc.parent);
      return {
        file: parent.file,
        path: [...parent.path, MESSAGE_FIELD, desc.parent.proto.field.indexOf(desc.proto)],
      };
    }
    case "oneof": {
      const parent = pathOf(desc.parent);
      return {
        file: parent.file,
        path: [...parent.path, MESSAGE_ONEOF_DECL, desc.parent.proto.oneofDecl.indexOf(desc.proto)],
      };
    }
    case "enum_value": {
      const parent = pathOf(desc.parent);
      return {
        file: parent.file,
        path: [...parent.path, ENUM_VALUE, desc.parent.proto.value.indexOf(desc.proto)],
      };
    }
  }
}

/**
 * Where a declaration is in its .proto file (1-based line and column), read from the source info buf
 * puts into its images. A file itself is located at its `package` statement, else its `syntax` line,
 * else line 1.
 */
export function sourceLocation(desc: LocatableDesc): SourceLocation {
  const { file, path } = pathOf(desc);
  const map = spansOf(file);
  const candidates = desc.kind === "file" ? [[FILE_PACKAGE], [FILE_SYNTAX]] : [path];
  for (const p of candidates) {
    const span = map.get(p.join(","));
    if (span !== undefined && span.length >= 2) {
      return { file: file.proto.name, line: (span[0] ?? 0) + 1, column: (span[1] ?? 0) + 1 };
    }
  }
  return { file: file.proto.name, line: 1, column: 1 };
}
