import { credentials } from "@grpc/grpc-js";
import type * as pb from "@weir/proto";
import { CompatibilityMode as PbMode, RegistryServiceClient } from "@weir/proto";
import {
  WeirError,
  compatibilityModeFromProto,
  compatibilityModeToProto,
  schemaInputFromProto,
  schemaInputToProto,
} from "@weir/common";
import type { CallOpts, ClientCore } from "./client-core.js";

// The schema input types are shared with the registry and the broker (one definition, with its proto conversion).
import type { CompatibilityMode, SchemaInput, SchemaReference, SchemaType } from "@weir/common";
export type { CompatibilityMode, SchemaInput, SchemaReference, SchemaType };

/** A schema stored under its global id. */
export interface RegisteredSchema {
  /** The global id: the same schema text with the same references always gets the same id. */
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
}

/** One version of a subject. */
export interface SchemaVersion extends RegisteredSchema {
  subject: string;
  version: number;
  /** Soft-deleted versions are only returned when asked for (`deleted: true`). */
  deleted: boolean;
}

/** A schema by id, with every subject version using it. */
export interface SchemaById extends RegisteredSchema {
  versions: Array<{ subject: string; version: number }>;
}

/** One change a compatibility check found. */
export interface SchemaChange {
  /** What changed, e.g. `REQUIRED_ADDED` (JSON Schema) or `FIELD_SAME_TYPE` (Protobuf, buf's rule). */
  type: string;
  /** JSON pointer into the new schema (JSON Schema); empty for Protobuf. */
  path: string;
  message: string;
  breaking: boolean;
  /** The earlier version compared with. */
  version: number;
  direction: "backward" | "forward";
  /** Protobuf: where in the new schema's source. */
  location?: { file: string; line: number; column: number };
}

/** The verdict of {@link RegistryClient.checkCompatibility}. */
export interface CompatibilityResult {
  compatible: boolean;
  /** The mode the check applied. */
  mode: CompatibilityMode;
  /** The versions the schema was compared with. */
  checkedVersions: number[];
  changes: SchemaChange[];
}

/** `"latest"` or a version number. */
export type VersionSelector = number | "latest";

/**
 * The schema registry over gRPC (`weir.v1.RegistryService`): subjects, versions, global ids,
 * compatibility checks and modes. Errors are WeirErrors: SUBJECT_NOT_FOUND, SCHEMA_VERSION_NOT_FOUND,
 * SCHEMA_NOT_FOUND, SCHEMA_INVALID, SCHEMA_INCOMPATIBLE, SCHEMA_REFERENCE_IN_USE, SUBJECT_NOT_SOFT_DELETED,
 * INVALID_COMPATIBILITY_MODE, INVALID_SCHEMA_VERSION.
 *
 * @example
 * const v = await client.registry.register("orders-value", { schemaType: "JSON", schema: JSON.stringify(s) });
 * console.log(`registered version ${v.version} with id ${v.id}`);
 */
export class RegistryClient {
  private readonly service: RegistryServiceClient;

  constructor(private readonly core: ClientCore) {
    // Shares the client's one channel (one HTTP/2 connection, with its TLS settings); closing the client
    // closes it. The credentials given here are never used to connect because of the override.
    this.service = new RegistryServiceClient(core.options.address, credentials.createInsecure(), {
      channelOverride: core.broker.getChannel(),
    });
  }

  /**
   * Registers a schema under a subject, checked against the subject's mode. Registering a schema the
   * subject already has returns that version. @throws WeirError SCHEMA_INCOMPATIBLE, SCHEMA_INVALID
   */
  async register(subject: string, input: SchemaInput, opts: CallOpts = {}): Promise<SchemaVersion> {
    const req: pb.RegisterRequest = {
      subject,
      definition: schemaInputToProto(input, `register under "${subject}"`),
    };
    const res = await this.core.unary<pb.RegisterResponse>(
      `register a schema under "${subject}"`,
      (md, o, cb) => this.service.register(req, md, o, cb),
      opts,
    );
    return schemaVersion(res.schema, `register under "${subject}"`);
  }

  /** The schema with a global id and the subject versions using it. @throws WeirError SCHEMA_NOT_FOUND */
  async getSchema(id: number, opts: CallOpts = {}): Promise<SchemaById> {
    const res = await this.core.unary<pb.GetSchemaResponse>(
      `get schema id ${id}`,
      (md, o, cb) => this.service.getSchema({ id }, md, o, cb),
      opts,
    );
    if (!res.definition) throw missing(`schema id ${id}`);
    return {
      id: res.id,
      ...definitionFromProto(res.definition, `get schema id ${id}`),
      versions: res.versions.map((v) => ({ subject: v.subject, version: v.version })),
    };
  }

  /**
   * One version of a subject (default: the latest live one); `deleted` also finds soft-deleted versions.
   * @throws WeirError SUBJECT_NOT_FOUND, SCHEMA_VERSION_NOT_FOUND
   */
  async getVersion(
    subject: string,
    version: VersionSelector = "latest",
    opts: CallOpts & { deleted?: boolean } = {},
  ): Promise<SchemaVersion> {
    const req: pb.GetVersionRequest = {
      subject,
      version: versionToProto(version),
      includeDeleted: opts.deleted ?? false,
    };
    const what = `get version ${String(version)} of "${subject}"`;
    const res = await this.core.unary<pb.GetVersionResponse>(
      what,
      (md, o, cb) => this.service.getVersion(req, md, o, cb),
      opts,
    );
    return schemaVersion(res.schema, what);
  }

  /** The subject's version holding exactly this schema. @throws WeirError SCHEMA_NOT_FOUND, SUBJECT_NOT_FOUND */
  async lookup(
    subject: string,
    input: SchemaInput,
    opts: CallOpts & { deleted?: boolean } = {},
  ): Promise<SchemaVersion> {
    const req: pb.LookupRequest = {
      subject,
      definition: schemaInputToProto(input, `look up a schema in "${subject}"`),
      includeDeleted: opts.deleted ?? false,
    };
    const what = `look up a schema in "${subject}"`;
    const res = await this.core.unary<pb.LookupResponse>(
      what,
      (md, o, cb) => this.service.lookup(req, md, o, cb),
      opts,
    );
    return schemaVersion(res.schema, what);
  }

  /** Subject names (with `deleted`, also subjects whose versions are all soft-deleted). */
  async listSubjects(opts: CallOpts & { deleted?: boolean; prefix?: string } = {}): Promise<string[]> {
    const req: pb.ListSubjectsRequest = { includeDeleted: opts.deleted ?? false, prefix: opts.prefix ?? "" };
    const res = await this.core.unary<pb.ListSubjectsResponse>(
      "list subjects",
      (md, o, cb) => this.service.listSubjects(req, md, o, cb),
      opts,
    );
    return [...res.subjects];
  }

  /** A subject's version numbers, ascending. @throws WeirError SUBJECT_NOT_FOUND */
  async listVersions(subject: string, opts: CallOpts & { deleted?: boolean } = {}): Promise<number[]> {
    const req: pb.ListVersionsRequest = { subject, includeDeleted: opts.deleted ?? false };
    const res = await this.core.unary<pb.ListVersionsResponse>(
      `list versions of "${subject}"`,
      (md, o, cb) => this.service.listVersions(req, md, o, cb),
      opts,
    );
    return [...res.versions];
  }

  /**
   * Checks a schema against a subject without registering it: against one `version`, or against what the
   * subject's mode (or `mode`, for this check only) requires. Incompatibility is a result, not an error.
   */
  async checkCompatibility(
    subject: string,
    input: SchemaInput,
    opts: CallOpts & { version?: VersionSelector; mode?: CompatibilityMode } = {},
  ): Promise<CompatibilityResult> {
    const req: pb.CheckCompatibilityRequest = {
      subject,
      definition: schemaInputToProto(input, `check compatibility with "${subject}"`),
      version: opts.version === undefined ? 0 : versionToProto(opts.version),
      mode:
        opts.mode === undefined
          ? PbMode.COMPATIBILITY_MODE_UNSPECIFIED
          : compatibilityModeToProto(opts.mode, `check compatibility with "${subject}"`),
    };
    if (opts.version === "latest") {
      // On the wire 0 means "as the mode requires", so "latest" is resolved to its number first.
      req.version = (await this.getVersion(subject, "latest", opts)).version;
    }
    const res = await this.core.unary<pb.CheckCompatibilityResponse>(
      `check compatibility with "${subject}"`,
      (md, o, cb) => this.service.checkCompatibility(req, md, o, cb),
      opts,
    );
    return {
      compatible: res.compatible,
      mode: compatibilityModeFromProto(
        res.mode,
        `the broker's answer to check compatibility with "${subject}"`,
      ),
      checkedVersions: [...res.checkedVersions],
      changes: res.changes.map(changeFromProto),
    };
  }

  /**
   * A subject's compatibility mode, or the global default when `subject` is left out. A subject without
   * its own mode gets the global one unless `defaultToGlobal` is false (then NOT_FOUND).
   */
  async getMode(
    subject?: string,
    opts: CallOpts & { defaultToGlobal?: boolean } = {},
  ): Promise<CompatibilityMode> {
    const req: pb.GetModeRequest = { subject: subject ?? "", defaultToGlobal: opts.defaultToGlobal ?? true };
    const what =
      subject === undefined
        ? "get the global compatibility mode"
        : `get the compatibility mode of "${subject}"`;
    const res = await this.core.unary<pb.GetModeResponse>(
      what,
      (md, o, cb) => this.service.getMode(req, md, o, cb),
      opts,
    );
    return compatibilityModeFromProto(res.mode, `the broker's answer to ${what}`);
  }

  /** Sets a subject's compatibility mode, or the global default when `subject` is undefined. */
  async setMode(
    subject: string | undefined,
    mode: CompatibilityMode,
    opts: CallOpts = {},
  ): Promise<CompatibilityMode> {
    const what =
      subject === undefined
        ? "set the global compatibility mode"
        : `set the compatibility mode of "${subject}"`;
    const req: pb.SetModeRequest = { subject: subject ?? "", mode: compatibilityModeToProto(mode, what) };
    const res = await this.core.unary<pb.SetModeResponse>(
      what,
      (md, o, cb) => this.service.setMode(req, md, o, cb),
      opts,
    );
    return compatibilityModeFromProto(res.mode, `the broker's answer to ${what}`);
  }

  /**
   * Soft-deletes a subject (or, with `permanent`, removes a soft-deleted one for good); returns the
   * deleted versions. @throws WeirError SUBJECT_NOT_FOUND, SUBJECT_NOT_SOFT_DELETED, SCHEMA_REFERENCE_IN_USE
   */
  async deleteSubject(subject: string, opts: CallOpts & { permanent?: boolean } = {}): Promise<number[]> {
    const req: pb.DeleteSubjectRequest = { subject, permanent: opts.permanent ?? false };
    const res = await this.core.unary<pb.DeleteSubjectResponse>(
      `delete subject "${subject}"`,
      (md, o, cb) => this.service.deleteSubject(req, md, o, cb),
      opts,
    );
    return [...res.versions];
  }

  /**
   * Soft-deletes one version (or, with `permanent`, removes a soft-deleted one); returns its number.
   * @throws WeirError SCHEMA_VERSION_NOT_FOUND, SUBJECT_NOT_SOFT_DELETED, SCHEMA_REFERENCE_IN_USE
   */
  async deleteVersion(
    subject: string,
    version: VersionSelector,
    opts: CallOpts & { permanent?: boolean } = {},
  ): Promise<number> {
    const req: pb.DeleteVersionRequest = {
      subject,
      version: versionToProto(version),
      permanent: opts.permanent ?? false,
    };
    const res = await this.core.unary<pb.DeleteVersionResponse>(
      `delete version ${String(version)} of "${subject}"`,
      (md, o, cb) => this.service.deleteVersion(req, md, o, cb),
      opts,
    );
    return res.version;
  }
}

/** 0 on the wire is "latest"; a version must otherwise be a whole number from 1. */
function versionToProto(version: VersionSelector): number {
  if (version === "latest") return 0;
  if (!Number.isInteger(version) || version < 1 || version > 2 ** 31 - 1) {
    throw new WeirError(
      "INVALID_SCHEMA_VERSION",
      `version ${String(version)} is not valid; use a whole number from 1 or "latest"`,
    );
  }
  return version;
}

function definitionFromProto(d: pb.SchemaDefinition, what: string): Omit<RegisteredSchema, "id"> {
  const s = schemaInputFromProto(d, `the broker's answer to ${what}`);
  return { schemaType: s.schemaType ?? "JSON", schema: s.schema, references: [...(s.references ?? [])] };
}

function schemaVersion(v: pb.SubjectVersion | undefined, what: string): SchemaVersion {
  if (!v?.definition) throw missing(what);
  return {
    subject: v.subject,
    version: v.version,
    id: v.id,
    ...definitionFromProto(v.definition, what),
    deleted: v.deleted,
  };
}

function changeFromProto(c: pb.SchemaChange): SchemaChange {
  const change: SchemaChange = {
    type: c.type,
    path: c.path,
    message: c.message,
    breaking: c.breaking,
    version: c.version,
    direction: c.direction === "forward" ? "forward" : "backward",
  };
  if (c.file !== "") change.location = { file: c.file, line: c.line, column: c.column };
  return change;
}

function missing(what: string): WeirError {
  return new WeirError(
    "INTERNAL",
    `the broker's answer to ${what} is missing its body; is the broker a compatible Weir version?`,
  );
}
