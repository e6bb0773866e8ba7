import type { SchemaRegistry } from "@weir/schema";
import type { RegistryApi } from "../broker-types.js";
import type { Action, Resource } from "./authorizer.js";

/** Registry reads and writes that concern no one subject are checked on the cluster. */
const cluster: Resource = { kind: "cluster", name: "" };
const subject = (name: string): Resource => ({ kind: "subject", name });

/**
 * The registry seen through one call: every method first runs `check` (the broker's enforcement point)
 * with `registry-read` or `registry-write` on the subject it touches, or on the cluster for lookups
 * by global id, subject listings and the global compatibility mode.
 */
export function authorizedRegistry(
  registry: SchemaRegistry,
  check: (action: Action, resource: Resource) => void,
): RegistryApi {
  const read = (r: Resource): void => check("registry-read", r);
  const write = (r: Resource): void => check("registry-write", r);
  return {
    schemaTypes: registry.schemaTypes,
    async register(s, input, options) {
      write(subject(s));
      return registry.register(s, input, options);
    },
    async lookup(s, input, options) {
      read(subject(s));
      return registry.lookup(s, input, options);
    },
    async getById(id) {
      read(cluster);
      return registry.getById(id);
    },
    async versionsOfId(id, options) {
      read(cluster);
      return registry.versionsOfId(id, options);
    },
    async getVersion(s, version, options) {
      read(subject(s));
      return registry.getVersion(s, version, options);
    },
    async listSubjects(options) {
      read(cluster);
      return registry.listSubjects(options);
    },
    async listVersions(s, options) {
      read(subject(s));
      return registry.listVersions(s, options);
    },
    async referencedBy(s, version) {
      read(subject(s));
      return registry.referencedBy(s, version);
    },
    async deleteSubject(s, options) {
      write(subject(s));
      return registry.deleteSubject(s, options);
    },
    async deleteVersion(s, version, options) {
      write(subject(s));
      return registry.deleteVersion(s, version, options);
    },
    async getMode(s, options) {
      read(s === undefined ? cluster : subject(s));
      return registry.getMode(s, options);
    },
    async setMode(s, mode) {
      write(s === undefined ? cluster : subject(s));
      return registry.setMode(s, mode);
    },
    async deleteMode(s) {
      write(subject(s));
      return registry.deleteMode(s);
    },
    async checkCompatibility(s, input, options) {
      read(subject(s));
      return registry.checkCompatibility(s, input, options);
    },
  };
}
