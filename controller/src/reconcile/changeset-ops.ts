import type { CompatibilityMode, SchemaInput, TopicConfigInput } from "@weir/client";

/*
 * The Admin API's changeset operations, as agreed with the broker side (helper CHANGESET adds
 * `client.admin.applyChangeset`). Mirrored here until @weir/client exports them; the shapes are the
 * contract, so switching to the client's exports changes no caller.
 */

/** One operation of an atomic changeset; the broker checks every precondition before applying any. */
export type ChangesetOp =
  | {
      readonly op: "registerSchema";
      readonly subject: string;
      readonly schema: SchemaInput;
      readonly mode?: CompatibilityMode;
    }
  | { readonly op: "createTopic"; readonly name: string; readonly config: TopicConfigInput }
  | {
      readonly op: "alterTopic";
      readonly name: string;
      readonly config: TopicConfigInput;
      readonly expectedVersion: number;
    }
  | { readonly op: "deleteTopic"; readonly name: string; readonly expectedVersion: number }
  | {
      readonly op: "putObject";
      readonly kind: string;
      readonly name: string;
      readonly namespace: string;
      readonly spec: unknown;
      /** 0 = create (refused if it exists). */
      readonly expectedVersion: number;
    }
  | {
      readonly op: "deleteObject";
      readonly kind: string;
      readonly name: string;
      readonly expectedVersion: number;
    };
