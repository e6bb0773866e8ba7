/**
 * Proto ↔ domain mapping of changesets and stored objects (AdminService ApplyChangeset, ListObjects,
 * GetObject). The conversions are shared with the client (in @weir/common); re-exported here for the
 * AdminService handlers.
 */
export { changesetOpFromProto, changesetOpResultToProto, storedObjectToProto } from "@weir/common";
