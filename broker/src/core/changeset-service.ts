import type { Logger } from "@weir/common";
import type { SchemaRegistry } from "@weir/schema";
import type { MetadataStore } from "../engine/log-engine.js";
import type { AdminLock } from "./admin-lock.js";
import { applyChangeset, type ChangesetHost } from "./changeset.js";
import type { ChangesetOp, ChangesetOptions, ChangesetResult, StoredObject } from "./changeset-types.js";
import { ObjectStore, assertObjectKind, assertObjectName } from "./object-store.js";
import type { OpenGate } from "./open-gate.js";
import { createRegistryOverlay } from "./registry-overlay.js";
import type { TopicRegistry } from "./topic-registry.js";

/** What {@link ChangesetService.open} wires together; the broker passes its own units. */
export interface ChangesetServiceOptions {
  metadata: MetadataStore;
  registry: SchemaRegistry;
  /**
   * Where the registry keeps its state in `metadata`, when it does (the broker's default registry):
   * changesets then check schemas in a scratch overlay of it. Undefined for a registry with storage
   * of its own, whose schemas are checked with `checkCompatibility` only.
   */
  registryKeyPrefix: string | undefined;
  topics: Pick<TopicRegistry, "get" | "create" | "alter" | "delete">;
  adminLock: AdminLock;
  gate: OpenGate;
  logger: Logger;
}

/**
 * The broker's changesets and stored objects: applies changesets under the admin lock and answers
 * object reads. Kept apart from `createBroker` so it can be built and tested on its own.
 */
export class ChangesetService {
  private constructor(
    private readonly o: ChangesetServiceOptions,
    /** The stored objects (the controller's sync state, …) changesets write. */
    readonly objects: ObjectStore,
    private readonly host: ChangesetHost,
  ) {}

  /** Opens the object store in `metadata` and wires the changeset host to the broker's units. */
  static async open(o: ChangesetServiceOptions): Promise<ChangesetService> {
    const objects = await ObjectStore.open(o.metadata);
    const { registry, metadata, registryKeyPrefix, topics } = o;
    const host: ChangesetHost = {
      registry,
      registryOverlay: async () =>
        registryKeyPrefix === undefined
          ? undefined
          : createRegistryOverlay(registry, metadata, registryKeyPrefix),
      objects,
      topic: (name) => topics.get(name),
      createTopic: (name, input) => topics.create(name, input),
      alterTopic: (name, input, expectedVersion) => topics.alter(name, input, expectedVersion),
      deleteTopic: (name) => topics.delete(name),
      logger: o.logger.child({ component: "changeset" }),
    };
    return new ChangesetService(o, objects, host);
  }

  /** `Broker.applyChangeset`: refused once the broker closes; runs under the admin lock. */
  async apply(ops: readonly ChangesetOp[], options: ChangesetOptions = {}): Promise<ChangesetResult> {
    this.o.gate.assertOpen();
    return this.o.adminLock.run(() => applyChangeset(this.host, ops, options));
  }

  /** `Broker.listObjects`. */
  async listObjects(kind?: string): Promise<StoredObject[]> {
    if (kind !== undefined) assertObjectKind(kind, "listObjects");
    return this.objects.list(kind);
  }

  /** `Broker.getObject`. */
  async getObject(kind: string, name: string): Promise<StoredObject | undefined> {
    assertObjectKind(kind, "getObject");
    assertObjectName(name, "getObject");
    return this.objects.get(kind, name);
  }
}
