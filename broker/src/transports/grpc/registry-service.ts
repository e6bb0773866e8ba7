import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import {
  WeirError,
  compatibilityModeFromProto,
  compatibilityModeToProto,
  schemaInputFromProto,
  schemaInputToProto,
} from "@weir/common";
import * as pb from "@weir/proto";
import {
  type CompatibilityResult,
  type StoredSchema,
  type SubjectVersion,
  type VersionedChange,
} from "../../registry-api.js";
import type { Broker } from "../../broker-types.js";
import { unaryHandler } from "./grpc-call.js";

/**
 * Builds the `weir.v1.RegistryService` handlers on a broker: each maps 1:1 onto a method of
 * {@link Broker.schemaRegistry} (which authorizes it). Version 0 means "latest" (or "what the mode requires" for CheckCompatibility);
 * enums that are unspecified take the documented default, unknown enum numbers are refused.
 */
export function createRegistryServiceHandlers(broker: Broker): UntypedServiceImplementation {
  return {
    register: unaryHandler<pb.RegisterRequest, pb.RegisterResponse>(broker, async (req, ctx) => ({
      schema: subjectVersionToProto(
        await broker
          .schemaRegistry(ctx)
          .register(req.subject, schemaInputFromProto(req.definition, `Register "${req.subject}"`)),
      ),
    })),

    getSchema: unaryHandler<pb.GetSchemaRequest, pb.GetSchemaResponse>(broker, async (req, ctx) => {
      const schema = await broker.schemaRegistry(ctx).getById(req.id);
      const versions = await broker.schemaRegistry(ctx).versionsOfId(req.id);
      return {
        id: schema.id,
        definition: definitionToProto(schema),
        versions: versions.map((v) => ({
          subject: v.subject,
          version: v.version,
          id: schema.id,
          definition: undefined,
          deleted: false,
        })),
      };
    }),

    getVersion: unaryHandler<pb.GetVersionRequest, pb.GetVersionResponse>(broker, async (req, ctx) => ({
      schema: subjectVersionToProto(
        await broker.schemaRegistry(ctx).getVersion(req.subject, req.version === 0 ? "latest" : req.version, {
          deleted: req.includeDeleted,
        }),
      ),
    })),

    lookup: unaryHandler<pb.LookupRequest, pb.LookupResponse>(broker, async (req, ctx) => ({
      schema: subjectVersionToProto(
        await broker
          .schemaRegistry(ctx)
          .lookup(req.subject, schemaInputFromProto(req.definition, `Lookup in "${req.subject}"`), {
            deleted: req.includeDeleted,
          }),
      ),
    })),

    listSubjects: unaryHandler<pb.ListSubjectsRequest, pb.ListSubjectsResponse>(broker, async (req, ctx) => ({
      subjects: await broker.schemaRegistry(ctx).listSubjects({
        deleted: req.includeDeleted,
        ...(req.prefix === "" ? {} : { prefix: req.prefix }),
      }),
    })),

    listVersions: unaryHandler<pb.ListVersionsRequest, pb.ListVersionsResponse>(broker, async (req, ctx) => ({
      versions: await broker.schemaRegistry(ctx).listVersions(req.subject, { deleted: req.includeDeleted }),
    })),

    checkCompatibility: unaryHandler<pb.CheckCompatibilityRequest, pb.CheckCompatibilityResponse>(
      broker,
      async (req, ctx) => {
        const where = `CheckCompatibility of "${req.subject}"`;
        const input = schemaInputFromProto(req.definition, where);
        const mode =
          req.mode === pb.CompatibilityMode.COMPATIBILITY_MODE_UNSPECIFIED
            ? undefined
            : compatibilityModeFromProto(req.mode, where);
        const result = await broker.schemaRegistry(ctx).checkCompatibility(req.subject, input, {
          ...(req.version === 0 ? {} : { version: req.version }),
          ...(mode === undefined ? {} : { mode }),
        });
        return compatibilityToProto(result);
      },
    ),

    getMode: unaryHandler<pb.GetModeRequest, pb.GetModeResponse>(broker, async (req, ctx) => {
      const subject = req.subject === "" ? undefined : req.subject;
      const mode = await broker
        .schemaRegistry(ctx)
        .getMode(subject, { defaultToGlobal: req.defaultToGlobal });
      if (mode === undefined) {
        throw new WeirError(
          "NOT_FOUND",
          `subject "${req.subject}" has no compatibility mode of its own; set default_to_global to get the global mode in force`,
          { details: { subject: req.subject, confluentCode: 40408 } },
        );
      }
      return { mode: compatibilityModeToProto(mode, `GetMode of "${req.subject}"`) };
    }),

    setMode: unaryHandler<pb.SetModeRequest, pb.SetModeResponse>(broker, async (req, ctx) => {
      const subject = req.subject === "" ? undefined : req.subject;
      const mode = compatibilityModeFromProto(
        req.mode,
        `SetMode of ${subject === undefined ? "the global default" : `"${subject}"`}`,
      );
      await broker.schemaRegistry(ctx).setMode(subject, mode);
      return { mode: compatibilityModeToProto(mode, "SetMode") };
    }),

    deleteSubject: unaryHandler<pb.DeleteSubjectRequest, pb.DeleteSubjectResponse>(
      broker,
      async (req, ctx) => ({
        versions: await broker.schemaRegistry(ctx).deleteSubject(req.subject, { permanent: req.permanent }),
      }),
    ),

    deleteVersion: unaryHandler<pb.DeleteVersionRequest, pb.DeleteVersionResponse>(
      broker,
      async (req, ctx) => ({
        version: await broker
          .schemaRegistry(ctx)
          .deleteVersion(req.subject, req.version === 0 ? "latest" : req.version, {
            permanent: req.permanent,
          }),
      }),
    ),
  };
}

/** A stored schema's definition for the wire. */
export function definitionToProto(s: StoredSchema): pb.SchemaDefinition {
  return schemaInputToProto(s, `schema id ${s.id}`);
}

/** One version of a subject for the wire. */
export function subjectVersionToProto(v: SubjectVersion): pb.SubjectVersion {
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    definition: definitionToProto(v),
    deleted: v.deleted,
  };
}

/** A compatibility change for the wire. */
export function changeToProto(c: VersionedChange): pb.SchemaChange {
  return {
    type: c.type,
    path: c.path,
    message: c.message,
    breaking: c.breaking,
    version: c.version,
    direction: c.direction,
    file: c.location?.file ?? "",
    line: c.location?.line ?? 0,
    column: c.location?.column ?? 0,
  };
}

/** A compatibility verdict for the wire. */
export function compatibilityToProto(r: CompatibilityResult): pb.CheckCompatibilityResponse {
  return {
    compatible: r.compatible,
    mode: compatibilityModeToProto(r.mode, "CheckCompatibility"),
    checkedVersions: [...r.checkedVersions],
    changes: r.changes.map(changeToProto),
  };
}
