import { WeirError, isWeirError, type Logger } from "@weir/common";
import type { PayloadValidator, SchemaRegistry } from "@weir/schema";
import type { TopicSchemas } from "../broker-types.js";

const utf8 = new TextEncoder();

/** One payload part's validator with the header value records validated by it carry. */
export interface BoundValidator {
  readonly validator: PayloadValidator;
  /** The schema id as the `weir-schema-id` / `weir-key-schema-id` header value (encoded once). */
  readonly header: Uint8Array;
}

/**
 * What a topic's payloads are validated against at one moment. Immutable: a produce takes the set
 * once at its start, so a whole batch is validated against one version even while a new version
 * is being swapped in.
 */
export interface TopicValidatorSet {
  readonly schemas: TopicSchemas;
  /** Undefined when the topic names no value subject. */
  readonly value: BoundValidator | undefined;
  /** Undefined when the topic names no key subject. */
  readonly key: BoundValidator | undefined;
  /**
   * Set when a named subject has no live version any more (deleted after the topic named it):
   * every produce is then refused with this error rather than let unchecked payloads in.
   */
  readonly unavailable: WeirError | undefined;
  /** How many registry changes had happened when compiling began (to spot one that raced it). */
  readonly preparedAt: number;
  /**
   * The validator of an older live version of the value subject that a producer named with
   * `weir-schema-id`; resolved once per id and set, never per message.
   *
   * @throws WeirError SCHEMA_VALIDATION_FAILED when `id` is not a live version of the value subject.
   */
  pinned(id: number): Promise<BoundValidator>;
}

/**
 * Holds, per topic, the validators of its value and key schemas, compiled once per schema version
 * (the registry caches them) and swapped atomically when a subject gets a new version: the new
 * validator is compiled first, then one reference assignment replaces the topic's set.
 */
export class TopicValidators {
  private readonly sets = new Map<string, TopicValidatorSet>();
  /**
   * Per topic, the number of the latest install or load started: a load installs its set only if no
   * later one started meanwhile, so a slow compile never overwrites a newer version's validator.
   */
  private readonly tickets = new Map<string, number>();
  private lastTicket = 0;
  /** Per topic, the latest load under way (a swap that produces should wait for). */
  private readonly loading = new Map<string, Promise<void>>();
  private readonly byIdCache = new Map<number, Promise<BoundValidator>>();
  private readonly unsubscribe: () => void;
  /** Registry changes seen so far. */
  private changes = 0;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = registry.onChange(({ subject }) => {
      this.changes++;
      // A deleted version must stop validating replies at once; the cache refills on demand.
      this.byIdCache.clear();
      this.refresh(subject).catch((error: unknown) => {
        logger.error("could not refresh topic validators after a registry change", { subject, error });
      });
    });
  }

  /** The topic's current set; undefined when it has no schemas. Take it once per batch. */
  get(topic: string): TopicValidatorSet | undefined {
    return this.sets.get(topic);
  }

  /**
   * The topic's set once any swap already under way has finished: registry listeners run before
   * `register()` returns, so a produce that starts after a registration returned is validated against
   * the new version (read-your-writes), while one already running keeps the version it took.
   */
  current(topic: string): TopicValidatorSet | undefined | Promise<TopicValidatorSet | undefined> {
    const loading = this.loading.get(topic);
    return loading ? loading.then(() => this.sets.get(topic)) : this.sets.get(topic);
  }

  /**
   * Compiles the validators for `schemas` without installing them, so createTopic/alterTopic can refuse
   * a subject with no live version (SUBJECT_NOT_FOUND) or an unknown Protobuf message type before any
   * change is made. Undefined when `schemas` names no subject.
   */
  async prepare(topic: string, schemas: TopicSchemas): Promise<TopicValidatorSet | undefined> {
    if (schemas.value === "" && schemas.key === "") return undefined;
    const preparedAt = this.changes;
    const [value, key] = await Promise.all([
      this.bind(topic, "value", schemas.value, schemas.valueMessage),
      this.bind(topic, "key", schemas.key, schemas.keyMessage),
    ]);
    return this.makeSet(schemas, value, key, undefined, preparedAt);
  }

  /** Makes `set` the topic's current set (undefined: the topic has no schemas). */
  install(topic: string, set: TopicValidatorSet | undefined): void {
    this.nextTicket(topic);
    this.put(topic, set);
    // A subject that got a new version while `set` was compiling (before this topic was in the map for
    // refresh to find) is recompiled now; produces wait for it (see current()).
    if (set && set.preparedAt !== this.changes) {
      this.load(topic, set.schemas).catch((error: unknown) => {
        this.logger.error("could not recompile a topic's validators", { topic, error });
      });
    }
  }

  /**
   * Like prepare + install, but never throws for a missing subject: the topic then refuses produces
   * until the subject has a live version again. Used when loading topics at start.
   */
  async load(topic: string, schemas: TopicSchemas): Promise<void> {
    const ticket = this.nextTicket(topic);
    const done = this.prepareOrUnavailable(topic, schemas).then((set) => {
      if (this.tickets.get(topic) === ticket) this.put(topic, set);
    });
    const settled = done.catch(() => undefined);
    this.loading.set(topic, settled);
    void settled.then(() => {
      if (this.loading.get(topic) === settled) this.loading.delete(topic);
    });
    await done;
  }

  /** Forgets a deleted topic. */
  remove(topic: string): void {
    this.sets.delete(topic);
    this.tickets.delete(topic);
    this.loading.delete(topic);
  }

  /**
   * Recompiles every topic that names `subject` against the subject's latest live version, then swaps
   * each topic's set in one assignment. Resolves when every affected topic has its new set.
   */
  async refresh(subject: string): Promise<void> {
    const affected = [...this.sets].filter(
      ([, set]) => set.schemas.value === subject || set.schemas.key === subject,
    );
    await Promise.all(affected.map(([topic, set]) => this.load(topic, set.schemas)));
  }

  /**
   * The validator of the schema with global id `id` (its first live subject version), for payloads
   * that name their schema themselves (replies carrying `weir-schema-id`). Cached per id until the
   * registry changes.
   *
   * @throws WeirError SCHEMA_VALIDATION_FAILED when no live subject version has that id.
   */
  byId(id: number): Promise<BoundValidator> {
    let found = this.byIdCache.get(id);
    if (!found) {
      found = resolveById(this.registry, id);
      found.catch(() => this.byIdCache.delete(id));
      this.byIdCache.set(id, found);
    }
    return found;
  }

  /** Stops listening to the registry. */
  close(): void {
    this.unsubscribe();
  }

  private nextTicket(topic: string): number {
    // One counter for all topics, so a ticket of a deleted and re-created topic is never reused.
    const ticket = ++this.lastTicket;
    this.tickets.set(topic, ticket);
    return ticket;
  }

  private put(topic: string, set: TopicValidatorSet | undefined): void {
    if (set) this.sets.set(topic, set);
    else this.sets.delete(topic);
  }

  private async prepareOrUnavailable(
    topic: string,
    schemas: TopicSchemas,
  ): Promise<TopicValidatorSet | undefined> {
    try {
      return await this.prepare(topic, schemas);
    } catch (error) {
      if (!isWeirError(error)) throw error;
      this.logger.warn("topic's schema subject cannot be used; produces to the topic are refused", {
        topic,
        code: error.code,
        message: error.message,
      });
      const unavailable = new WeirError(
        error.code,
        `topic "${topic}" cannot validate payloads: ${error.message}; register a schema under the subject or change the topic's schemas`,
        { details: { ...error.details, topic }, cause: error },
      );
      return this.makeSet(schemas, undefined, undefined, unavailable, this.changes);
    }
  }

  private makeSet(
    schemas: TopicSchemas,
    value: BoundValidator | undefined,
    key: BoundValidator | undefined,
    unavailable: WeirError | undefined,
    preparedAt: number,
  ): TopicValidatorSet {
    const pinnedById = new Map<number, Promise<BoundValidator>>();
    const registry = this.registry;
    return {
      schemas: { ...schemas },
      value,
      key,
      unavailable,
      preparedAt,
      pinned(id) {
        if (value && id === value.validator.label.id) return Promise.resolve(value);
        let found = pinnedById.get(id);
        if (!found) {
          found = resolvePinned(registry, schemas.value, schemas.valueMessage, id);
          // A refused id is not cached: it may become valid (registered) later.
          found.catch(() => pinnedById.delete(id));
          pinnedById.set(id, found);
        }
        return found;
      },
    };
  }

  private async bind(
    topic: string,
    part: "value" | "key",
    subject: string,
    messageType: string,
  ): Promise<BoundValidator | undefined> {
    if (subject === "") return undefined;
    try {
      const validator = await this.registry.validator(
        subject,
        "latest",
        messageType === "" ? {} : { messageType },
      );
      return bound(validator);
    } catch (error) {
      if (isWeirError(error) && error.code === "SUBJECT_NOT_FOUND") {
        throw new WeirError(
          "SUBJECT_NOT_FOUND",
          `topic "${topic}": schemas.${part} names subject "${subject}", which has no live schema version; register it first: declare a Schema named "${subject}" in the config repository and run weir apply (or weir up --config), or POST the schema to /subjects/${subject}/versions on the registry's HTTP API`,
          { details: { topic, field: `schemas.${part}`, subject }, cause: error },
        );
      }
      if (isWeirError(error) && error.code === "SCHEMA_INVALID" && messageType !== "") {
        // An unknown Protobuf message type: name the topic field that asked for it.
        throw new WeirError(
          "SCHEMA_INVALID",
          `topic "${topic}": schemas.${part}Message "${messageType}" cannot be used with subject "${subject}": ${error.message}`,
          { details: { ...error.details, topic, field: `schemas.${part}Message`, subject }, cause: error },
        );
      }
      throw error;
    }
  }
}

function bound(validator: PayloadValidator): BoundValidator {
  return { validator, header: utf8.encode(String(validator.label.id)) };
}

async function resolvePinned(
  registry: SchemaRegistry,
  subject: string,
  messageType: string,
  id: number,
): Promise<BoundValidator> {
  const uses = await registry.versionsOfId(id).catch((error: unknown) => {
    if (isWeirError(error) && (error.code === "SCHEMA_NOT_FOUND" || error.code === "SUBJECT_NOT_FOUND"))
      return [];
    throw error;
  });
  const use = uses.find((u) => u.subject === subject);
  if (!use) {
    throw new WeirError(
      "SCHEMA_VALIDATION_FAILED",
      `header weir-schema-id names schema id ${id}, which is not a live version of subject "${subject}"; drop the header (the broker sets it) or name a live version of "${subject}"`,
      { details: { subject, schemaId: id, pointer: "", keyword: "weir-schema-id" } },
    );
  }
  return bound(await registry.validator(subject, use.version, messageType === "" ? {} : { messageType }));
}

async function resolveById(registry: SchemaRegistry, id: number): Promise<BoundValidator> {
  const uses = await registry.versionsOfId(id).catch((error: unknown) => {
    if (isWeirError(error) && (error.code === "SCHEMA_NOT_FOUND" || error.code === "SUBJECT_NOT_FOUND"))
      return [];
    throw error;
  });
  const use = uses[0];
  if (!use) {
    throw new WeirError(
      "SCHEMA_VALIDATION_FAILED",
      `header weir-schema-id names schema id ${id}, which is not a live schema version; register the schema or drop the header`,
      { details: { schemaId: id, pointer: "", keyword: "weir-schema-id" } },
    );
  }
  return bound(await registry.validator(use.subject, use.version));
}
