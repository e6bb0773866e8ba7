/*
 * The Admin API's changeset operations (`client.admin.applyChangeset`), re-exported so callers of
 * planToChangeset need not import @weir/client themselves.
 */
export type { ChangesetOp } from "@weir/client";
