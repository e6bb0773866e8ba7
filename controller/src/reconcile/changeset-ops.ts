import type { CompatibilityMode, SchemaInput, TopicConfigInput } from "@weir/client";

/*
 * The Admin API's changeset operations and stored objects, as agreed with the broker side (helper
 * CHANGESET adds `client.admin.applyChangeset` / `listObjects`). Mirrored here until @weir/client exports
 * them; the shapes are the contract (broker/src/core/changeset-types.ts), so switching to the client's
 * exports changes no caller.
 */

/** One operation of an atomic changeset; the broker checks every precondition before applying any. */
export type ChangesetOp =
  | {
      readonly type: "registerSchema";
      readonly subject: string;
      readonly schema: SchemaInput;
      /** Set as the subject's mode before the schema is checked and registered. */
      readonly mode?: CompatibilityMode;
    }
  | { readonly type: "createTopic"; readonly name: string; readonly config: TopicConfigInput }
  | {
      readonly type: "alterTopic";
      readonly name: string;
      /** The whole new configuration. */
      readonly config: TopicConfigInput;
      readonly expectedVersion: number;
    }
  | { readonly type: "deleteTopic"; readonly name: string; readonly expectedVersion: number }
  | {
      readonly type: "putObject";
      readonly kind: string;
      readonly name: string;
      readonly namespace: string;
      readonly spec: unknown;
      /** 0 = create (refused if it exists). */
      readonly expectedVersion: number;
    }
  | {
      readonly type: "deleteObject";
      readonly kind: string;
      readonly name: string;
      readonly expectedVersion: number;
    };
