// The changeset and stored-object types are shared with the client (one definition, with its proto conversion).
export type {
  ChangesetOp,
  ChangesetOpResult,
  ChangesetOpType,
  ChangesetOptions,
  ChangesetResult,
  StoredObject,
} from "@weir/common";
