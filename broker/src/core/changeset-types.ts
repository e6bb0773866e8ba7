// The changeset types are shared with the client (one definition, with its proto conversion).
export type {
  ChangesetOp,
  ChangesetOpResult,
  ChangesetOpType,
  ChangesetOptions,
  ChangesetResult,
} from "@weir/common";

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
