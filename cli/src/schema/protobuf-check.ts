import { isWeirError } from "@weir/common";
import {
  checkProtobufTreeCompatibility,
  type CompatibilityMode,
  type ProtobufBreakingCategory,
} from "@weir/schema";
import { modeRule } from "@weir/schema/internal";
import {
  SchemaProblems,
  type LocatedChange,
  type SchemaComparison,
  type SchemaProblem,
  type SchemaText,
} from "./compare-json-schemas.js";
import type { ProtobufCheckInput } from "./schema-check.js";

/**
 * Checks Protobuf schemas with @weir/schema's tree-level check: all schemas held to the same rules go into
 * one pair of trees (old, new), each compiled with one `buf build`, and every schema is compared by message
 * structure in memory, so a repository with hundreds of schemas costs a few buf runs, not hundreds.
 *
 * Tree layout: a schema that another imports sits at that import path (its reference name); any other at
 * `<schema name>.proto`; the same path is used in the old and the new tree so buf pairs the files.
 * `_TRANSITIVE` modes with several earlier versions (from a registry) take one round per version depth.
 */
export async function checkProtobufSchemas(
  inputs: readonly ProtobufCheckInput[],
): Promise<ReadonlyMap<string, SchemaComparison>> {
  const results = new Map<string, SchemaComparison>();
  const groups = new Map<string, ProtobufCheckInput[]>();
  for (const input of inputs) {
    const { directions } = modeRule(input.mode);
    if (directions.length === 0) {
      results.set(input.name, { compatible: true, changes: [] });
      continue;
    }
    const key = `${directions.join("+")}/${category(input.mode)}`;
    groups.set(key, [...(groups.get(key) ?? []), input]);
  }
  const problems: SchemaProblem[] = [];
  for (const group of groups.values()) {
    try {
      for (const [name, result] of await checkGroup(group)) results.set(name, result);
    } catch (error) {
      if (!(error instanceof SchemaProblems)) throw error;
      if (group.length === 1) {
        problems.push(...error.problems);
        continue;
      }
      // One tree fails when any file does not compile, or when two independent schemas declare the same
      // fully qualified names (e.g. two subjects holding versions of one package). Checking each schema
      // in its own tree sorts out which: slower, but only on this path.
      for (const input of group) {
        try {
          for (const [name, result] of await checkGroup([input])) results.set(name, result);
        } catch (single) {
          if (single instanceof SchemaProblems) problems.push(...single.problems);
          else throw single;
        }
      }
    }
  }
  if (problems.length > 0) throw new SchemaProblems(problems);
  return results;
}

/** FULL modes also keep the JSON mapping of messages (field names) stable, as @weir/schema's format does. */
function category(mode: CompatibilityMode): ProtobufBreakingCategory {
  return mode === "FULL" || mode === "FULL_TRANSITIVE" ? "WIRE_JSON" : "WIRE";
}

async function checkGroup(group: readonly ProtobufCheckInput[]): Promise<Map<string, SchemaComparison>> {
  const first = group[0]!;
  const directions = modeRule(first.mode).directions;
  // Where each schema's file sits in both trees: the path others import it by, else <name>.proto.
  const importPathOf = new Map<string, string>();
  for (const input of group) {
    for (const ref of input.newer.references) importPathOf.set(ref.file, ref.name);
  }
  const mainPath = new Map<string, string>();
  const nameOfPath = new Map<string, string>();
  for (const input of group) {
    const path = importPathOf.get(input.newer.file) ?? `${input.name}.proto`;
    mainPath.set(input.name, path);
    nameOfPath.set(path, input.name);
  }

  const newer = new Map<string, string>();
  const newLabel = new Map<string, string>();
  for (const input of group) {
    add(newer, newLabel, mainPath.get(input.name)!, input.newer);
  }
  const changes = new Map<string, LocatedChange[]>(group.map((i) => [i.name, []]));
  const seen = new Set<string>();
  const rounds = Math.max(...group.map((i) => (modeRule(i.mode).transitive ? i.previous.length : 1)));
  for (let round = 0; round < rounds; round++) {
    const older = new Map<string, string>();
    const oldLabel = new Map<string, string>();
    for (const input of group) {
      const versions = input.previous;
      const version = versions[Math.max(0, versions.length - 1 - round)];
      if (version) add(older, oldLabel, mainPath.get(input.name)!, version);
    }
    let result;
    try {
      result = await checkProtobufTreeCompatibility({
        older,
        newer,
        roots: [...mainPath.values()],
        directions,
        category: category(first.mode),
      });
    } catch (error) {
      if (isWeirError(error) && error.code === "SCHEMA_INVALID") {
        throw new SchemaProblems(compileProblems(error.message, newLabel, oldLabel));
      }
      throw error;
    }
    for (const [path, name] of nameOfPath) {
      // A schema's changes include those inside the files it imports (its record types reach them).
      for (const c of result.byRoot.get(path) ?? []) {
        const labels = c.side === "newer" ? newLabel : oldLabel;
        const file = c.location?.file ?? "";
        const located: LocatedChange = {
          type: c.type,
          path: c.path,
          oldPath: c.oldPath,
          message: c.message,
          breaking: c.breaking,
          direction: c.direction,
          ...(c.location ? { location: { ...c.location, file: labels.get(file) ?? file } } : {}),
        };
        const key = `${name}\0${located.type}\0${located.direction}\0${located.message}\0${JSON.stringify(located.location)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        changes.get(name)!.push(located);
      }
    }
  }
  return new Map(
    [...changes].map(([name, list]) => [name, { compatible: list.every((c) => !c.breaking), changes: list }]),
  );
}

/** Puts a schema and the files it imports into a tree (the first text for a path wins). */
function add(tree: Map<string, string>, labels: Map<string, string>, path: string, s: SchemaText): void {
  if (!tree.has(path)) {
    tree.set(path, s.text);
    labels.set(path, s.file);
  }
  for (const ref of s.references) {
    if (!tree.has(ref.name)) {
      tree.set(ref.name, ref.text);
      labels.set(ref.name, ref.file);
    }
  }
}

/** "newer tree: a.proto:3:5: message" lines of a compile error, as located problems in the real files. */
function compileProblems(
  message: string,
  newLabel: ReadonlyMap<string, string>,
  oldLabel: ReadonlyMap<string, string>,
): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  for (const line of message.split("\n")) {
    const m = /^\s*(newer tree|older tree): (.+?):(\d+):(\d+): (.*)$/.exec(line);
    if (!m) continue;
    const labels = m[1] === "newer tree" ? newLabel : oldLabel;
    out.push({
      file: labels.get(m[2]!) ?? m[2]!,
      line: Number(m[3]),
      column: Number(m[4]),
      message: `Protobuf schema does not compile: ${m[5]}`,
    });
  }
  return out.length > 0 ? out : [{ file: "", line: 0, column: 0, message }];
}
