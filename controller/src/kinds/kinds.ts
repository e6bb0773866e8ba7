import { readFileSync } from "node:fs";
import type { AccessPolicy } from "./generated/access-policy.js";
import type { Config } from "./generated/config.js";
import type { PolicyTest } from "./generated/policy-test.js";
import type { Principal } from "./generated/principal.js";
import type { Quota } from "./generated/quota.js";
import type { RoutePolicy } from "./generated/route-policy.js";
import type { Schema } from "./generated/schema.js";
import type { Topic } from "./generated/topic.js";

/** The only `apiVersion` Weir's config format has so far. */
export const apiVersion = "weir/v1";

/** The document type of each resource kind, as generated from controller/kinds/*.schema.json. */
export interface ResourceByKind {
  Config: Config;
  Topic: Topic;
  Schema: Schema;
  Principal: Principal;
  AccessPolicy: AccessPolicy;
  RoutePolicy: RoutePolicy;
  Quota: Quota;
  PolicyTest: PolicyTest;
}

/** A resource kind's name (`kind:` in YAML). */
export type ResourceKind = keyof ResourceByKind;

/** Any resource document. */
export type AnyResource = ResourceByKind[ResourceKind];

const schemaFiles: Record<ResourceKind, string> = {
  Config: "config.schema.json",
  Topic: "topic.schema.json",
  Schema: "schema.schema.json",
  Principal: "principal.schema.json",
  AccessPolicy: "access-policy.schema.json",
  RoutePolicy: "route-policy.schema.json",
  Quota: "quota.schema.json",
  PolicyTest: "policy-test.schema.json",
};

/** Every resource kind, in the order they are applied (schemas before the topics that use them...). */
export const resourceKinds: readonly ResourceKind[] = [
  "Config",
  "Schema",
  "Topic",
  "Principal",
  "AccessPolicy",
  "RoutePolicy",
  "Quota",
  "PolicyTest",
];

/** Whether `value` names a resource kind. */
export function isResourceKind(value: unknown): value is ResourceKind {
  return typeof value === "string" && Object.hasOwn(schemaFiles, value);
}

/**
 * The path of a kind's JSON Schema file (controller/kinds/<kind>.schema.json), for editors
 * (`# yaml-language-server: $schema=<path>`) and tools.
 */
export function kindSchemaPath(kind: ResourceKind): string {
  // src/kinds/ and dist/kinds/ are both two levels below the package root.
  return new URL(`../../kinds/${schemaFiles[kind]}`, import.meta.url).pathname;
}

const cache = new Map<ResourceKind, Record<string, unknown>>();

/** A kind's JSON Schema, parsed (read once). */
export function kindSchema(kind: ResourceKind): Record<string, unknown> {
  let schema = cache.get(kind);
  if (!schema) {
    schema = JSON.parse(readFileSync(kindSchemaPath(kind), "utf8")) as Record<string, unknown>;
    cache.set(kind, schema);
  }
  return schema;
}
