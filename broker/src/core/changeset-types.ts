import type { CompatibilityMode, SchemaInput } from "@weir/schema";
import type { TopicConfigInput } from "../broker-types.js";

/**
 * One change in a changeset (see `Broker.applyChangeset`). The list is applied in the order
 * given, so callers put it in dependency order: schemas before the topics that name them.
 */
export type ChangesetOp =
  | {
      type: "registerSchema";
      subject: string;
      schema: SchemaInput;
      /** Set as the subject's compatibility mode before the schema is checked and registered. */
      mode?: CompatibilityMode | undefined;
    }
  | { type: "createTopic"; name: string; config: TopicConfigInput }
  | {
      type: "alterTopic";
      name: string;
      /** The whole new configuration; `partitions` absent keeps the current count. */
      config: TopicConfigInput;
      /** The topic version the change was planned against; must equal the live version. */
      expectedVersion: number;
    }
  | { type: "deleteTopic"; name: string; expectedVersion: number }
  | {
      type: "putObject";
      kind: string;
      name: string;
      namespace: string;
      /** Any JSON value. */
      spec: unknown;
      /** The object version the change was planned against; 0 = the object must not exist yet. */
      expectedVersion: number;
    }
  | { type: "deleteObject"; kind: string; name: string; expectedVersion: number };

/** The op types of a {@link ChangesetOp}. */
export type ChangesetOpType = ChangesetOp["type"];

/** Options of `Broker.applyChangeset`. */
export interface ChangesetOptions {
  /** Check every precondition and apply nothing. @default false */
  dryRun?: boolean | undefined;
}

/** What one op did, or on a dry run would do (versions and ids are then predictions). */
export interface ChangesetOpResult {
  /** The op's index in the changeset. */
  index: number;
  op: ChangesetOpType;
  /** The subject (registerSchema), topic or object name. */
  name: string;
  /** The topic's or object's new version; the subject's version for registerSchema. */
  version?: number;
  /** registerSchema: the schema's global id. */
  schemaId?: number;
}

/** The outcome of `Broker.applyChangeset`. */
export interface ChangesetResult {
  /** False for a dry run. */
  applied: boolean;
  results: ChangesetOpResult[];
}

/**
 * An object the broker stores for the control plane: Principal, AccessPolicy, RoutePolicy and Quota
 * resources (enforced once the policy engine lands) and controller state such as `weir.dev/SyncState`.
 */
export interface StoredObject {
  /** A free string, e.g. "Principal" or "weir.dev/SyncState". */
  kind: string;
  /** Unique within its kind; up to 253 characters, no "/". */
  name: string;
  namespace: string;
  /** The object's JSON spec. */
  spec: unknown;
  /** 1 on create, bumped on every put. */
  version: number;
  /** When it was last put, in milliseconds since the Unix epoch. */
  updatedMs: number;
}
