import type { WeirClient } from "@weir/client";
import type { ChangesetOp } from "./changeset-ops.js";

/** A stored object as the Admin API returns it. */
export interface StoredObjectView {
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly spec: unknown;
  readonly version: number;
  readonly updatedMs: number;
}

/** The part of the Admin API the reconciler needs beyond topics: changesets and stored objects. */
export interface ChangesetAdmin {
  applyChangeset(
    ops: ChangesetOp[],
    options?: { dryRun?: boolean },
  ): Promise<{ applied: boolean; results: Array<{ index: number; name: string; version?: number }> }>;
  listObjects(kind?: string): Promise<StoredObjectView[]>;
}

/**
 * The client's changeset and stored-object calls. A typed view while @weir/client grows them (helper
 * CHANGESET); the calls are the agreed contract.
 */
export function changesetAdmin(client: WeirClient): ChangesetAdmin {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- until the client's calls are committed
  return client.admin as unknown as ChangesetAdmin;
}
