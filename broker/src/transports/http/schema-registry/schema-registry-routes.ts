import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { WeirError } from "@weir/common";
import type { Broker, CallContext, RegistryApi } from "../../../broker-types.js";
import { fromFastifyError } from "../http-errors.js";
import { toConfluentError, type ConfluentErrorScope } from "./confluent-errors.js";
import { flag, parseConfigBody, parseSchemaInput, parseVersion, stringParam } from "./confluent-request.js";
import { compatibilityBody, schemaBody, subjectVersionBody } from "./confluent-responses.js";

/** Where the Confluent-compatible API lives on the broker's HTTP port: point Confluent clients at it. */
export const schemaRegistryBasePath = "/schema-registry";

/** The content type Confluent Schema Registry answers with. */
export const confluentContentType = "application/vnd.schemaregistry.v1+json";

/** Options of {@link schemaRegistryRoutes}. */
export interface SchemaRegistryRoutesOptions {
  broker: Broker;
  /** The HTTP body limit, named in the error for a body over it. */
  bodyLimit: number;
  /** The call context (transport and authenticated caller) of a request. @default `{ transport: "http" }` */
  callContext?: ((request: FastifyRequest) => CallContext) | undefined;
}

interface SubjectParams {
  subject: string;
}
interface VersionParams extends SubjectParams {
  version: string;
}
interface IdParams {
  id: string;
}
type Query = Record<string, string | undefined>;

/**
 * A fastify plugin serving the registry as a Confluent Schema Registry compatible REST API (register it
 * with `prefix: schemaRegistryBasePath`). Bodies and errors are Confluent's (`{"error_code", "message"}`
 * with Confluent's codes) inside this prefix only; the rest of the HTTP API keeps Weir's error shape.
 * Documented in docs/schema-registry.md.
 */
export async function schemaRegistryRoutes(
  app: FastifyInstance,
  options: SchemaRegistryRoutesOptions,
): Promise<void> {
  const { broker } = options;
  // Every call gets the registry for its own call context, so the broker authorizes each read and write.
  const registryOf = (request: FastifyRequest): RegistryApi =>
    broker.schemaRegistry(options.callContext?.(request) ?? { transport: "http" });

  // Confluent accepts its own JSON types, application/json and application/octet-stream (JSON types and
  // bytes are parsed by the server's parsers, bytes are read as JSON by the routes); a client that sends
  // another type or none still means JSON.
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.addHook("onRequest", async (_request, reply) => {
    void reply.type(confluentContentType);
  });

  app.setErrorHandler((error, request, reply) => {
    const e = broker.observeError(fromFastifyError(error, options.bodyLimit), { transport: "http" });
    const { status, body } = toConfluentError(e, errorScope(request));
    if (e.code === "UNAUTHENTICATED")
      void reply.header("www-authenticate", 'Bearer realm="weir", Basic realm="weir"');
    void reply.code(status).type(confluentContentType).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    const e = new WeirError(
      "NOT_FOUND",
      `no route ${request.method} ${path} in the Confluent-compatible schema registry API; see docs/schema-registry.md for the endpoints`,
    );
    const { status, body } = toConfluentError(broker.observeError(e, { transport: "http" }));
    void reply.code(status).type(confluentContentType).send(body);
  });

  // Confluent answers its root with an empty object; clients and load balancers use it as a health check.
  app.get("/", async () => ({}));

  // --- schemas by id ---------------------------------------------------------------------------------

  app.get("/schemas/types", async (req) => [...registryOf(req).schemaTypes]);

  // Every schema version, subject by subject (Confluent's GET /schemas): tools list a registry with it.
  app.get<{ Querystring: Query }>("/schemas", async (req) => {
    const deleted = flag(req.query.deleted);
    const subjects = await registryOf(req).listSubjects({ ...prefixOf(req.query.subjectPrefix), deleted });
    const out = [];
    for (const subject of subjects) {
      const versions = await registryOf(req).listVersions(subject, { deleted });
      const wanted = flag(req.query.latestOnly) ? versions.slice(-1) : versions;
      for (const version of wanted) {
        out.push(subjectVersionBody(await registryOf(req).getVersion(subject, version, { deleted })));
      }
    }
    const offset = wholeParam(req.query.offset, 0);
    const limit = wholeParam(req.query.limit, -1);
    return out.slice(offset, limit < 0 ? undefined : offset + limit);
  });

  app.get<{ Params: IdParams }>("/schemas/ids/:id", async (req) =>
    schemaBody(await registryOf(req).getById(parseId(req.params.id))),
  );

  app.get<{ Params: IdParams }>("/schemas/ids/:id/schema", async (req, reply) =>
    raw(reply, (await registryOf(req).getById(parseId(req.params.id))).schema),
  );

  app.get<{ Params: IdParams; Querystring: Query }>("/schemas/ids/:id/subjects", async (req) => {
    const versions = await versionsOfId(registryOf(req), req.params.id, flag(req.query.deleted));
    return [...new Set(versions.map((v) => v.subject))];
  });

  app.get<{ Params: IdParams; Querystring: Query }>("/schemas/ids/:id/versions", async (req) =>
    (await versionsOfId(registryOf(req), req.params.id, flag(req.query.deleted))).map((v) => ({
      subject: v.subject,
      version: v.version,
    })),
  );

  // --- subjects --------------------------------------------------------------------------------------

  app.get<{ Querystring: Query }>("/subjects", async (req) => {
    const prefixOption = prefixOf(req.query.subjectPrefix);
    if (flag(req.query.deletedOnly)) {
      const all = await registryOf(req).listSubjects({ ...prefixOption, deleted: true });
      const live = new Set(await registryOf(req).listSubjects(prefixOption));
      return all.filter((s) => !live.has(s));
    }
    return registryOf(req).listSubjects({ ...prefixOption, deleted: flag(req.query.deleted) });
  });

  app.post<{ Params: SubjectParams; Querystring: Query }>("/subjects/:subject", async (req) => {
    const input = parseSchemaInput(req.body);
    const found = await registryOf(req).lookup(req.params.subject, input, {
      deleted: flag(req.query.deleted),
    });
    return subjectVersionBody(found);
  });

  app.delete<{ Params: SubjectParams; Querystring: Query }>("/subjects/:subject", async (req) =>
    registryOf(req).deleteSubject(req.params.subject, { permanent: flag(req.query.permanent) }),
  );

  app.get<{ Params: SubjectParams; Querystring: Query }>("/subjects/:subject/versions", async (req) => {
    const { subject } = req.params;
    if (flag(req.query.deletedOnly)) {
      const all = await registryOf(req).listVersions(subject, { deleted: true });
      const live = new Set(await listLiveVersions(registryOf(req), subject));
      return all.filter((v) => !live.has(v));
    }
    return registryOf(req).listVersions(subject, { deleted: flag(req.query.deleted) });
  });

  app.post<{ Params: SubjectParams }>("/subjects/:subject/versions", async (req) => {
    // `normalize` is accepted and needs nothing: JSON Schemas are compared in a canonical form anyway.
    const registered = await registryOf(req).register(req.params.subject, parseSchemaInput(req.body));
    return { id: registered.id };
  });

  app.get<{ Params: VersionParams; Querystring: Query }>(
    "/subjects/:subject/versions/:version",
    async (req) =>
      subjectVersionBody(
        await registryOf(req).getVersion(req.params.subject, parseVersion(req.params.version), {
          deleted: flag(req.query.deleted),
        }),
      ),
  );

  app.get<{ Params: VersionParams; Querystring: Query }>(
    "/subjects/:subject/versions/:version/schema",
    async (req, reply) => {
      const v = await registryOf(req).getVersion(req.params.subject, parseVersion(req.params.version), {
        deleted: flag(req.query.deleted),
      });
      return raw(reply, v.schema);
    },
  );

  app.get<{ Params: VersionParams }>("/subjects/:subject/versions/:version/referencedby", async (req) => {
    const selector = parseVersion(req.params.version);
    const version =
      selector === "latest"
        ? (await registryOf(req).getVersion(req.params.subject, "latest")).version
        : selector;
    return registryOf(req).referencedBy(req.params.subject, version);
  });

  app.delete<{ Params: VersionParams; Querystring: Query }>(
    "/subjects/:subject/versions/:version",
    async (req) =>
      registryOf(req).deleteVersion(req.params.subject, parseVersion(req.params.version), {
        permanent: flag(req.query.permanent),
      }),
  );

  // --- compatibility ---------------------------------------------------------------------------------

  app.post<{ Params: SubjectParams; Querystring: Query }>(
    "/compatibility/subjects/:subject/versions",
    async (req) => {
      const result = await registryOf(req).checkCompatibility(req.params.subject, parseSchemaInput(req.body));
      return compatibilityBody(result, flag(req.query.verbose));
    },
  );

  app.post<{ Params: VersionParams; Querystring: Query }>(
    "/compatibility/subjects/:subject/versions/:version",
    async (req) => {
      const version = parseVersion(req.params.version);
      const input = parseSchemaInput(req.body);
      const result = await registryOf(req).checkCompatibility(req.params.subject, input, { version });
      return compatibilityBody(result, flag(req.query.verbose));
    },
  );

  // --- config (compatibility levels) -----------------------------------------------------------------

  app.get("/config", async (req) => ({ compatibilityLevel: await globalMode(registryOf(req)) }));

  app.put("/config", async (req) => {
    const mode = parseConfigBody(req.body);
    await registryOf(req).setMode(undefined, mode);
    return { compatibility: mode };
  });

  app.get<{ Params: SubjectParams; Querystring: Query }>("/config/:subject", async (req) => {
    const { subject } = req.params;
    const mode = await registryOf(req).getMode(subject, { defaultToGlobal: flag(req.query.defaultToGlobal) });
    if (mode === undefined) throw noSubjectMode(subject);
    return { compatibilityLevel: mode };
  });

  app.put<{ Params: SubjectParams }>("/config/:subject", async (req) => {
    const mode = parseConfigBody(req.body);
    await registryOf(req).setMode(req.params.subject, mode);
    return { compatibility: mode };
  });

  app.delete<{ Params: SubjectParams }>("/config/:subject", async (req) => {
    const { subject } = req.params;
    const removed = await registryOf(req).deleteMode(subject);
    if (removed !== undefined) return { compatibilityLevel: removed };
    // Nothing to remove: Confluent answers 40401 for an unknown subject, else the level in force.
    await registryOf(req).listVersions(subject, { deleted: true });
    return { compatibilityLevel: await globalMode(registryOf(req)) };
  });

  // --- mode (read-only: Weir's registry is always READWRITE) -----------------------------------------

  app.get("/mode", async () => ({ mode: "READWRITE" }));
  app.get("/mode/:subject", async () => ({ mode: "READWRITE" }));
}

/** The `subjectPrefix` filter: ":*:" is Confluent's "every context"; Weir has one, so it means all. */
function prefixOf(raw: string | undefined): { prefix?: string } {
  const prefix = stringParam(raw);
  return prefix === undefined || prefix === "" || prefix === ":*:" ? {} : { prefix };
}

/** A whole-number query parameter (`offset`, `limit`), or the fallback when absent or not a number. */
function wholeParam(raw: string | undefined, fallback: number): number {
  return raw !== undefined && /^-?[0-9]+$/.test(raw) ? Number(raw) : fallback;
}

/** Sends a schema's text as it is (Confluent's `/schema` endpoints return the bare schema). */
function raw(reply: FastifyReply, text: string): FastifyReply {
  return reply.type(confluentContentType).send(text);
}

/** A global id from a path: ids are whole numbers, so anything else names no schema (40403). */
function parseId(raw: string): number {
  if (/^[0-9]+$/.test(raw)) {
    const id = Number(raw);
    if (Number.isSafeInteger(id) && id > 0) return id;
  }
  throw new WeirError("SCHEMA_NOT_FOUND", `no schema with id "${raw}": schema ids are whole numbers from 1`, {
    details: { id: raw },
  });
}

async function versionsOfId(
  registry: RegistryApi,
  rawId: string,
  deleted: boolean,
): Promise<Array<{ subject: string; version: number }>> {
  const id = parseId(rawId);
  // An unknown id is 40403, not an empty list.
  await registry.getById(id);
  return registry.versionsOfId(id, { deleted });
}

/** Live versions; a subject whose versions are all soft-deleted has none (not "not found"). */
async function listLiveVersions(registry: RegistryApi, subject: string): Promise<number[]> {
  try {
    return await registry.listVersions(subject);
  } catch (error) {
    if (error instanceof WeirError && error.code === "SUBJECT_NOT_FOUND") return [];
    throw error;
  }
}

async function globalMode(registry: RegistryApi): Promise<string> {
  const mode = await registry.getMode();
  if (mode === undefined) {
    throw new WeirError("INTERNAL", "the registry has no global compatibility level; this is a bug");
  }
  return mode;
}

/** Confluent 40408: the subject has no level of its own and the caller did not ask for the global one. */
function noSubjectMode(subject: string): WeirError {
  return new WeirError(
    "NOT_FOUND",
    `subject "${subject}" has no compatibility level of its own; add ?defaultToGlobal=true to get the global level in force`,
    { details: { subject, confluentCode: 40408 } },
  );
}

/** Deletes of a version report "not soft-deleted" as 40407, everything else as the subject's 40405. */
function errorScope(request: FastifyRequest): ConfluentErrorScope {
  const params = request.params as Partial<VersionParams> | undefined;
  return request.method === "DELETE" && params?.version !== undefined ? "version" : "subject";
}
