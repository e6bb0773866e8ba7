import { sha256Hex } from "@weir/common";

/**
 * A bootstrap admin credential for tests that start a broker in-process (`startWeirServer`) and drive
 * it with a client that must keep every right while the config it applies adds Principals (once any
 * Principal exists, calls without a token are refused). Pass `testAdmin.bootstrap` to the server and
 * `testAdmin.token` to the client.
 */
export const testAdmin = {
  token: "weir-test-admin-token",
  bootstrap: { name: "weir:admin", tokenSha256: sha256Hex("weir-test-admin-token") },
} as const;
