/**
 * Changesets: a list of schema, topic and stored-object changes applied as one unit, with optimistic
 * concurrency — the GitOps controller's apply step.
 *
 * Two passes, both under the broker's admin lock (so no other admin write interleaves):
 * 1. **Check.** Every op's preconditions are checked against the live state *as the earlier ops of the
 *    changeset will have left it*: names and configurations valid, expected versions equal to the live
 *    ones, topics to create absent and topics to alter or delete present, partitions only growing,
 *    schemas compiling and compatible under their subject's mode (registered, in order, into a scratch
 *    copy of the registry), and topic subjects having a version by then. A registered schema becomes
 *    its subject's latest version: one equal to an older version (a revert in git) is registered again
 *    as a new version with the same id, checked under the mode (see `RegisterOptions.asLatest`). The first failure ends the
 *    changeset with that op's error (naming its index, type and name) and nothing is applied.
 * 2. **Apply.** The ops run in the given order: schemas are registered, then topics are created,
 *    altered or deleted as listed; the stored-object writes of the whole changeset are committed last
 *    as one atomic metadata batch, so an object written as a marker of the changeset (the controller's
 *    sync state) is only durable if every other op was applied.
 *
 * What is not a transaction: the log engine, the registry and the metadata store are separate stores,
 * so an I/O failure in the apply pass (a full disk) can leave the ops before it applied. That error
 * says which ops had been applied; re-planning and applying again converges. The registry is also
 * written by its own APIs (not under the admin lock), so a schema registered there between the two
 * passes can still make a registration fail in the apply pass.
 */
import { WeirError, assertTopicName, isWeirError, toWeirError, type Logger } from "@weir/common";
import {
  isCompatibilityMode,
  type SchemaInput,
  type SchemaRegistry,
  type CompatibilityMode,
} from "@weir/schema";
import type { TopicConfig, TopicConfigInput, TopicInfo } from "../broker-types.js";
import type {
  ChangesetOp,
  ChangesetOpResult,
  ChangesetOpType,
  ChangesetOptions,
  ChangesetResult,
} from "./changeset-types.js";
import {
  assertObjectKind,
  assertObjectName,
  assertObjectNamespace,
  normalizeObjectSpec,
  objectKey,
  type ObjectStore,
  type ObjectWrite,
} from "./object-store.js";
import { resolveTopicConfig } from "./topic-config.js";

/** The most ops one applied changeset may hold (it holds the admin lock while it is checked and applied). */
export const maxChangesetOps = 10_000;

/**
 * The most ops a dry run may check: larger than {@link maxChangesetOps} so a client can check a whole
 * large change first, then apply it in dependency-ordered changesets of at most `maxChangesetOps`
 * (the GitOps controller does this for repositories of more than 10,000 resources).
 */
export const maxDryRunOps = 200_000;

/** What {@link applyChangeset} needs of the broker; called with the admin lock held. */
export interface ChangesetHost {
  readonly registry: SchemaRegistry;
  /**
   * A scratch registry that reads the live registry's state and keeps its own writes (see
   * `registry-overlay.ts`); undefined when the registry's storage is not the broker's, in which case
   * schemas are checked with `checkCompatibility` only.
   */
  registryOverlay(): Promise<SchemaRegistry | undefined>;
  readonly objects: ObjectStore;
  /** The live topic, or undefined. */
  topic(name: string): { version: number; config: TopicConfig } | undefined;
  /** Creates a topic (no admin lock taken: the caller holds it). */
  createTopic(name: string, config: TopicConfigInput): Promise<TopicInfo>;
  /** Alters a topic (no admin lock taken). */
  alterTopic(name: string, config: TopicConfigInput, expectedVersion: number): Promise<TopicInfo>;
  /** Deletes a topic (no admin lock taken). */
  deleteTopic(name: string): Promise<void>;
  readonly logger: Logger;
}

/** An op once checked, with what the apply pass needs. */
type CheckedOp =
  | { type: "registerSchema"; subject: string; schema: SchemaInput; mode: CompatibilityMode | undefined }
  | { type: "createTopic"; name: string; config: TopicConfig }
  | { type: "alterTopic"; name: string; config: TopicConfig; expectedVersion: number }
  | { type: "deleteTopic"; name: string }
  | { type: "object"; write: ObjectWrite };

interface PlannedTopic {
  version: number;
  config: TopicConfig;
}

const opTypes: readonly ChangesetOpType[] = [
  "registerSchema",
  "createTopic",
  "alterTopic",
  "deleteTopic",
  "putObject",
  "deleteObject",
];

/**
 * Checks every op of a changeset, then (unless `dryRun`) applies them in order. Call with the admin
 * lock held. See the module comment for the guarantees.
 *
 * @throws WeirError the failing op's error (VERSION_CONFLICT, UNSUPPORTED_CHANGE, SCHEMA_INCOMPATIBLE,
 *   SCHEMA_INVALID, TOPIC_ALREADY_EXISTS, TOPIC_NOT_FOUND, SUBJECT_NOT_FOUND, INVALID_ARGUMENT...) with
 *   `opIndex`, `opType` and `opName` in its details; nothing is applied. An apply-pass failure keeps
 *   its cause's code and lists the applied ops in `details.appliedOps`.
 */
export async function applyChangeset(
  host: ChangesetHost,
  ops: readonly ChangesetOp[],
  options: ChangesetOptions = {},
): Promise<ChangesetResult> {
  if (!Array.isArray(ops)) {
    throw new WeirError("INVALID_ARGUMENT", "changeset: ops must be a list of changes", {
      details: { field: "ops" },
    });
  }
  const limit = options.dryRun === true ? maxDryRunOps : maxChangesetOps;
  if (ops.length > limit) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      options.dryRun === true
        ? `changeset: a dry run of ${ops.length} ops is more than the limit of ${limit}; check it in parts`
        : `changeset: ${ops.length} ops is more than the limit of ${limit} per applied changeset; check all of them with one dry run (up to ${maxDryRunOps} ops), then apply them in order in changesets of at most ${limit}`,
      { details: { field: "ops", size: ops.length, limit } },
    );
  }
  const { checked, results } = await checkChangeset(host, ops);
  if (options.dryRun === true) return { applied: false, results };
  await applyChecked(host, checked, results);
  host.logger.info("changeset applied", { ops: ops.length });
  return { applied: true, results };
}

/** The check pass: every precondition, against the state the earlier ops will have left. */
async function checkChangeset(
  host: ChangesetHost,
  ops: readonly ChangesetOp[],
): Promise<{ checked: CheckedOp[]; results: ChangesetOpResult[] }> {
  const topics = new Map<string, PlannedTopic | undefined>();
  const objectVersions = new Map<string, number>();
  const registered = new Set<string>();
  // The scratch registry is only needed (and only built) when the changeset registers schemas.
  const registers = ops.some((op) => (op as { type?: unknown } | null)?.type === "registerSchema");
  const overlay = registers ? await host.registryOverlay() : undefined;
  const now = Date.now();

  const liveTopic = (name: string): PlannedTopic | undefined =>
    topics.has(name) ? topics.get(name) : host.topic(name);
  const liveObjectVersion = (kind: string, name: string): number =>
    objectVersions.get(objectKey(kind, name)) ?? host.objects.version(kind, name);

  /** Refuses a subject that will have no live version when the topic is created or altered. */
  const checkTopicSubjects = async (topic: string, config: TopicConfig): Promise<void> => {
    for (const part of ["value", "key"] as const) {
      const subject = config.schemas[part];
      if (subject === "") continue;
      // A subject registered earlier in the changeset exists only in the scratch registry (without
      // one, it is checked on apply); any other is checked on the live registry, whose compiled
      // validators are cached, so a topic op that keeps its subjects costs no compile.
      const registry = registered.has(subject) ? overlay : host.registry;
      if (!registry) continue;
      const messageType = config.schemas[part === "value" ? "valueMessage" : "keyMessage"];
      try {
        await registry.validator(subject, "latest", messageType === "" ? {} : { messageType });
      } catch (error) {
        if (isWeirError(error) && error.code === "SUBJECT_NOT_FOUND") {
          throw new WeirError(
            "SUBJECT_NOT_FOUND",
            `topic "${topic}": schemas.${part} names subject "${subject}", which has no live schema version; register it first (put a registerSchema op for "${subject}" before this one)`,
            { details: { topic, field: `schemas.${part}`, subject }, cause: error },
          );
        }
        if (isWeirError(error) && error.code === "SCHEMA_INVALID" && messageType !== "") {
          throw new WeirError(
            "SCHEMA_INVALID",
            `topic "${topic}": schemas.${part}Message "${messageType}" cannot be used with subject "${subject}": ${error.message}`,
            { details: { ...error.details, topic, field: `schemas.${part}Message`, subject }, cause: error },
          );
        }
        throw error;
      }
    }
  };

  const checked: CheckedOp[] = [];
  const results: ChangesetOpResult[] = [];
  for (let index = 0; index < ops.length; index++) {
    // Most checks resolve without I/O, so the loop would run as one long stretch of microtasks and
    // starve every other request (reads too) for the whole check of a large changeset: yield now and then.
    if (index % yieldEvery === yieldEvery - 1) await yieldToEventLoop();
    const op = ops[index];
    const { type, name } = describeOp(op, index);
    try {
      const result: ChangesetOpResult = { index, op: type, name };
      const o = op as ChangesetOp;
      switch (o.type) {
        case "registerSchema": {
          const subject = requireString(o.subject, "subject");
          const schema = requireSchema(o.schema);
          const mode = o.mode;
          if (mode !== undefined && !isCompatibilityMode(mode)) {
            throw new WeirError(
              "INVALID_COMPATIBILITY_MODE",
              `mode ${JSON.stringify(mode)} is not a compatibility mode; use NONE, BACKWARD, FORWARD, FULL or a _TRANSITIVE form`,
              { details: { field: "mode", value: String(mode) } },
            );
          }
          if (overlay) {
            if (mode !== undefined) await overlay.setMode(subject, mode);
            const v = await overlay.register(subject, schema, { asLatest: true });
            result.version = v.version;
            result.schemaId = v.id;
          } else {
            await checkCompatibleLive(host.registry, subject, schema, mode);
          }
          registered.add(subject);
          checked.push({ type: "registerSchema", subject, schema, mode });
          break;
        }
        case "createTopic": {
          assertTopicName(o.name);
          const config = resolveTopicConfig(o.name, requireConfig(o.config));
          if (liveTopic(o.name)) {
            throw new WeirError(
              "TOPIC_ALREADY_EXISTS",
              `topic "${o.name}" already exists; plan an alterTopic with its current version instead`,
              { details: { topic: o.name } },
            );
          }
          await checkTopicSubjects(o.name, config);
          topics.set(o.name, { version: 1, config });
          result.version = 1;
          checked.push({ type: "createTopic", name: o.name, config });
          break;
        }
        case "alterTopic": {
          assertTopicName(o.name);
          const expectedVersion = requireVersion(o.expectedVersion, 1);
          const current = requireLiveTopic(liveTopic(o.name), o.name);
          checkVersion(`topic "${o.name}"`, expectedVersion, current.version);
          const input = requireConfig(o.config);
          const config = resolveTopicConfig(o.name, {
            ...input,
            partitions: input.partitions ?? current.config.partitions,
          });
          if (config.partitions < current.config.partitions) {
            throw new WeirError(
              "UNSUPPORTED_CHANGE",
              `topic "${o.name}": partitions cannot shrink from ${current.config.partitions} to ${config.partitions} (keys would move to other partitions and records would be lost); keep ${current.config.partitions} or more, or create a new topic`,
              { details: { topic: o.name, from: current.config.partitions, to: config.partitions } },
            );
          }
          await checkTopicSubjects(o.name, config);
          topics.set(o.name, { version: current.version + 1, config });
          result.version = current.version + 1;
          checked.push({ type: "alterTopic", name: o.name, config, expectedVersion });
          break;
        }
        case "deleteTopic": {
          assertTopicName(o.name);
          const expectedVersion = requireVersion(o.expectedVersion, 1);
          const current = requireLiveTopic(liveTopic(o.name), o.name);
          checkVersion(`topic "${o.name}"`, expectedVersion, current.version);
          topics.set(o.name, undefined);
          checked.push({ type: "deleteTopic", name: o.name });
          break;
        }
        case "putObject": {
          assertObjectKind(o.kind, "putObject");
          assertObjectName(o.name, "putObject");
          assertObjectNamespace(o.namespace, "putObject");
          const spec = normalizeObjectSpec(o.spec, `object ${o.kind}/${o.name}`);
          const expectedVersion = requireVersion(o.expectedVersion, 0);
          const current = liveObjectVersion(o.kind, o.name);
          checkVersion(`object ${o.kind}/${o.name}`, expectedVersion, current);
          const version = current + 1;
          objectVersions.set(objectKey(o.kind, o.name), version);
          result.version = version;
          const object = {
            kind: o.kind,
            name: o.name,
            namespace: o.namespace,
            spec,
            version,
            updatedMs: now,
          };
          checked.push({ type: "object", write: { type: "put", object } });
          break;
        }
        case "deleteObject": {
          assertObjectKind(o.kind, "deleteObject");
          assertObjectName(o.name, "deleteObject");
          const expectedVersion = requireVersion(o.expectedVersion, 1);
          checkVersion(`object ${o.kind}/${o.name}`, expectedVersion, liveObjectVersion(o.kind, o.name));
          objectVersions.set(objectKey(o.kind, o.name), 0);
          checked.push({ type: "object", write: { type: "delete", kind: o.kind, name: o.name } });
          break;
        }
        default:
          // describeOp already refused unknown types; this keeps the switch exhaustive.
          throw new WeirError("INVALID_ARGUMENT", `unknown op type`);
      }
      results.push(result);
    } catch (error) {
      throw opError(index, type, name, error);
    }
  }
  return { checked, results };
}

/** Ops checked (or applied) between two yields to the event loop. */
const yieldEvery = 200;

/** Lets queued I/O callbacks (other requests) run before going on. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The apply pass: every op in order, stored-object writes last in one batch. */
async function applyChecked(
  host: ChangesetHost,
  checked: readonly CheckedOp[],
  results: ChangesetOpResult[],
): Promise<void> {
  const applied: number[] = [];
  const writes: ObjectWrite[] = [];
  const writeIndexes: number[] = [];
  for (let index = 0; index < checked.length; index++) {
    const op = checked[index]!;
    const result = results[index]!;
    if (op.type === "createTopic") {
      // A run of topic creations is independent (names checked distinct and absent), and each one waits
      // on directory fsyncs and a metadata commit: create them concurrently, in bounded chunks, so a
      // changeset of 1,000 topics costs ~1,000/chunk sequential round trips instead of 1,000.
      const end = runEnd(checked, index, "createTopic");
      await applyCreates(host, checked, results, index, end, applied);
      index = end - 1;
      continue;
    }
    try {
      switch (op.type) {
        case "registerSchema": {
          if (op.mode !== undefined) await host.registry.setMode(op.subject, op.mode);
          const v = await host.registry.register(op.subject, op.schema, { asLatest: true });
          result.version = v.version;
          result.schemaId = v.id;
          break;
        }
        case "alterTopic":
          result.version = (await host.alterTopic(op.name, op.config, op.expectedVersion)).version;
          break;
        case "deleteTopic":
          await host.deleteTopic(op.name);
          break;
        case "object":
          writes.push(op.write);
          writeIndexes.push(index);
          continue;
      }
      applied.push(index);
    } catch (error) {
      throw applyError(result, applied, error);
    }
  }
  try {
    await host.objects.commit(writes);
  } catch (error) {
    throw applyError(results[writeIndexes[0]!]!, applied, error);
  }
}

/** Topic creations run at most this many at a time within one changeset. */
const createConcurrency = 32;

/** The index after the last op of the run of `type` ops starting at `start`. */
function runEnd(checked: readonly CheckedOp[], start: number, type: CheckedOp["type"]): number {
  let end = start;
  while (end < checked.length && checked[end]!.type === type) end++;
  return end;
}

/** Creates the topics of ops `start..end-1` concurrently in chunks; a failure reports what was applied. */
async function applyCreates(
  host: ChangesetHost,
  checked: readonly CheckedOp[],
  results: ChangesetOpResult[],
  start: number,
  end: number,
  applied: number[],
): Promise<void> {
  for (let chunk = start; chunk < end; chunk += createConcurrency) {
    const indexes = Array.from({ length: Math.min(createConcurrency, end - chunk) }, (_, i) => chunk + i);
    const outcomes = await Promise.allSettled(
      indexes.map(async (index) => {
        const op = checked[index]! as Extract<CheckedOp, { type: "createTopic" }>;
        results[index]!.version = (await host.createTopic(op.name, op.config)).version;
      }),
    );
    let failed: { index: number; reason: unknown } | undefined;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === "fulfilled") applied.push(indexes[i]!);
      else failed ??= { index: indexes[i]!, reason: outcome.reason };
    });
    if (failed) throw applyError(results[failed.index]!, applied, failed.reason);
  }
}

/** The op's type and name for messages, checking that it is an op at all. */
function describeOp(op: unknown, index: number): { type: ChangesetOpType; name: string } {
  const o = op as { type?: unknown; name?: unknown; subject?: unknown; kind?: unknown } | null;
  const type = o !== null && typeof o === "object" ? o.type : undefined;
  if (typeof type !== "string" || !(opTypes as readonly string[]).includes(type)) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `changeset op ${index}: type ${JSON.stringify(type)} is not one of ${opTypes.join(", ")}; nothing was applied`,
      { details: { opIndex: index, field: "type" } },
    );
  }
  const name = type === "registerSchema" ? o!.subject : o!.name;
  const shown = typeof name === "string" ? name : String(name);
  if (type === "putObject" || type === "deleteObject") {
    return { type, name: `${typeof o!.kind === "string" ? o!.kind : String(o!.kind)}/${shown}` };
  }
  return { type: type as ChangesetOpType, name: shown };
}

/** A precondition failure, naming the op; nothing was applied. */
function opError(index: number, type: ChangesetOpType, name: string, error: unknown): WeirError {
  const e = toWeirError(error);
  if (e.details.opIndex !== undefined) return e;
  return new WeirError(
    e.code,
    `changeset op ${index} (${type} "${name}") refused, nothing was applied: ${e.message}`,
    { details: { ...e.details, opIndex: index, opType: type, opName: name }, cause: e },
  );
}

/** An apply-pass failure: which op failed and which had been applied before it. */
function applyError(result: ChangesetOpResult, applied: readonly number[], error: unknown): WeirError {
  const e = toWeirError(error);
  const before =
    applied.length === 0
      ? "no op had been applied"
      : `${applied.length} op${applied.length === 1 ? "" : "s"} (${indexRanges(applied, 20)}) had been applied`;
  return new WeirError(
    e.code,
    `changeset op ${result.index} (${result.op} "${result.name}") failed while applying (${before}; later ops were not applied): ${e.message}; re-plan and apply again`,
    {
      details: {
        ...e.details,
        opIndex: result.index,
        opType: result.op,
        opName: result.name,
        appliedOps: indexRanges(applied),
      },
      cause: e,
    },
  );
}

/**
 * Op indexes as ranges (`0-3411, 3417, 3419`), so a failure late in a large changeset stays readable;
 * with `max`, at most that many ranges, then how many more.
 */
export function indexRanges(indexes: readonly number[], max = Infinity): string {
  const sorted = [...indexes].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    ranges.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return ranges.length > max
    ? `${ranges.slice(0, max).join(", ")} and ${ranges.length - max} more range(s)`
    : ranges.join(", ");
}

/** @throws WeirError VERSION_CONFLICT naming the resource and both versions (0 = absent). */
function checkVersion(resource: string, expected: number, actual: number): void {
  if (expected === actual) return;
  const now = actual === 0 ? "it does not exist" : `it is at version ${actual}`;
  const planned = expected === 0 ? "planned to create it" : `was planned against version ${expected}`;
  throw new WeirError(
    "VERSION_CONFLICT",
    `${resource} changed since the changeset was planned: it ${planned}, but ${now}; re-plan against the live state and apply again`,
    { details: { resource, expectedVersion: expected, actualVersion: actual } },
  );
}

function requireLiveTopic(topic: PlannedTopic | undefined, name: string): PlannedTopic {
  if (!topic) {
    throw new WeirError(
      "TOPIC_NOT_FOUND",
      `topic "${name}" does not exist (or an earlier op of this changeset deletes it); re-plan against the live state`,
      { details: { topic: name } },
    );
  }
  return topic;
}

function requireVersion(value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new WeirError(
      "INVALID_ARGUMENT",
      `expectedVersion ${JSON.stringify(value)} is not valid; give the version the change was planned against (a whole number >= ${min}${min === 0 ? ", 0 = must not exist yet" : ""})`,
      { details: { field: "expectedVersion", value: String(value) } },
    );
  }
  return value;
}

function requireString(value: unknown, field: string): string {
  if (typeof value !== "string" || value === "") {
    throw new WeirError("INVALID_ARGUMENT", `${field} must be a non-empty string`, { details: { field } });
  }
  return value;
}

function requireConfig(value: unknown): TopicConfigInput {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WeirError("INVALID_ARGUMENT", "config must be a topic configuration object", {
      details: { field: "config" },
    });
  }
  return value;
}

function requireSchema(value: unknown): SchemaInput {
  const s = value as Partial<SchemaInput> | null;
  if (s === null || typeof s !== "object" || typeof s.schema !== "string") {
    throw new WeirError(
      "SCHEMA_INVALID",
      "schema must be { schemaType, schema, references } with the schema text in `schema`",
      { details: { field: "schema" } },
    );
  }
  return s as SchemaInput;
}

/** Without a scratch registry: the schema must compile and be compatible with the live subject. */
async function checkCompatibleLive(
  registry: SchemaRegistry,
  subject: string,
  schema: SchemaInput,
  mode: CompatibilityMode | undefined,
): Promise<void> {
  const result = await registry.checkCompatibility(subject, schema, mode === undefined ? {} : { mode });
  if (result.compatible) return;
  const breaking = result.changes.filter((c) => c.breaking);
  throw new WeirError(
    "SCHEMA_INCOMPATIBLE",
    `schema is incompatible with subject "${subject}" under compatibility mode ${result.mode}: ${breaking
      .map((c) => `against version ${c.version} (${c.direction}): ${c.message}`)
      .join(
        "; ",
      )}; make the change compatible, register it under a new subject, or change the mode deliberately`,
    { details: { subject, mode: result.mode, checkedVersions: result.checkedVersions.join(",") } },
  );
}
