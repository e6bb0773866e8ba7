/**
 * An object the broker stores for the control plane: the one definition the broker and the client
 * share, with its `weir.v1.StoredObject` conversions. The spec travels as JSON text (`spec_json`), so
 * numbers and nesting stay exact.
 */
import type * as pb from "@weir/proto";
import { WeirError } from "../weir-error.js";

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

/**
 * A stored object from the wire.
 *
 * @throws WeirError INTERNAL when spec_json is not JSON (the broker only stores JSON specs).
 */
export function storedObjectFromProto(o: pb.StoredObject): StoredObject {
  let spec: unknown;
  try {
    spec = JSON.parse(o.specJson) as unknown;
  } catch (error) {
    throw new WeirError(
      "INTERNAL",
      `stored object ${o.kind}/${o.name}: spec_json is not JSON (${error instanceof Error ? error.message : String(error)}); is the broker a compatible Weir version?`,
      { details: { kind: o.kind, name: o.name, field: "spec_json" }, cause: error },
    );
  }
  return {
    kind: o.kind,
    name: o.name,
    namespace: o.namespace,
    spec,
    version: o.version,
    updatedMs: o.updatedMs,
  };
}
