/**
 * Proto ↔ domain mapping of changesets and stored objects (AdminService ApplyChangeset, ListObjects,
 * GetObject). Object specs travel as JSON text (`spec_json`), so numbers and nesting stay exact.
 */
import type * as pb from "@weir/proto";
import type { StoredObject } from "../../core/changeset-types.js";

// The changeset conversions are shared with the client; re-exported for the AdminService handlers.
export { changesetOpFromProto, changesetOpResultToProto } from "@weir/common";

/** A stored object for the wire. */
export function storedObjectToProto(o: StoredObject): pb.StoredObject {
  return {
    kind: o.kind,
    name: o.name,
    namespace: o.namespace,
    specJson: JSON.stringify(o.spec),
    version: o.version,
    updatedMs: o.updatedMs,
  };
}
