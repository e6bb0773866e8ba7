/**
 * The registry's storage key layout, under a prefix (default `registry/`):
 *
 * | key                                                   | value                                             |
 * |-------------------------------------------------------|---------------------------------------------------|
 * | `next-id`                                             | the next global schema id to hand out (from 1)    |
 * | `config`                                              | `{ mode }`: the global default mode, once set     |
 * | `modes/<subject>`                                     | `{ subject, mode }`: a subject's own mode         |
 * | `schemas/<id>`                                        | {@link SchemaRecord}: a schema by global id       |
 * | `hashes/<sha256>`                                     | the id of (schemaType, canonical text, references)|
 * | `subjects/<subject>`                                  | {@link SubjectRecord}: every version of a subject |
 * | `ids/<id>/<subject>/<version>`                        | `{ subject, version }`: who uses an id            |
 * | `refs/<subject>/<version>/<by subject>/<by version>`  | `{ subject, version, id }`: who references a version |
 *
 * `<subject>` is escaped (only `A-Z a-z 0-9 _ -` stay; every other UTF-8 byte is `=XX`), so keys are
 * valid in every metadata store (LMDB, NATS KV) and one subject's prefix never matches another's. An
 * escaped subject longer than 160 characters is replaced by `~` and its SHA-256 (so keys stay far below
 * LMDB's 1978-byte limit); records keep the real subject name.
 * Numbers are zero-padded to 10 digits so keys sort numerically. `hashes/` entries are never deleted:
 * a permanently deleted schema registered again gets its old id back, and ids are never reused.
 */
import { createHash } from "node:crypto";
import type { SchemaReference, SchemaType } from "./registry-types.js";

/** A schema under its global id, as stored. */
export interface SchemaRecord {
  readonly id: number;
  readonly schemaType: SchemaType;
  /** The text of the first registration (later equivalent texts share the id). */
  readonly schema: string;
  readonly references: readonly SchemaReference[];
  readonly hash: string;
}

/** One version of a subject, as stored in its {@link SubjectRecord}. */
export interface VersionRecord {
  readonly version: number;
  readonly id: number;
  readonly deleted: boolean;
}

/** Every version of one subject, ascending. */
export interface SubjectRecord {
  readonly subject: string;
  readonly versions: readonly VersionRecord[];
}

/** The longest escaped subject used as is in a key. */
const maxEscapedLength = 160;

/** Escapes a subject for use inside a key (one-to-one: different subjects never share a key segment). */
export function escapeSubject(subject: string): string {
  let out = "";
  for (const byte of Buffer.from(subject, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  // "~" never appears in an escaped subject, so a hashed one cannot collide with an escaped one
  return out.length <= maxEscapedLength ? out : `~${createHash("sha256").update(subject).digest("hex")}`;
}

const pad = (n: number): string => String(n).padStart(10, "0");

/** The keys of one registry, under its prefix. */
export function registryKeys(prefix: string) {
  return {
    nextId: `${prefix}next-id`,
    config: `${prefix}config`,
    mode: (subject: string) => `${prefix}modes/${escapeSubject(subject)}`,
    schema: (id: number) => `${prefix}schemas/${pad(id)}`,
    hash: (hash: string) => `${prefix}hashes/${hash}`,
    subjects: `${prefix}subjects/`,
    subject: (subject: string) => `${prefix}subjects/${escapeSubject(subject)}`,
    usesOf: (id: number) => `${prefix}ids/${pad(id)}/`,
    use: (id: number, subject: string, version: number) =>
      `${prefix}ids/${pad(id)}/${escapeSubject(subject)}/${pad(version)}`,
    referrersOf: (subject: string, version: number) =>
      `${prefix}refs/${escapeSubject(subject)}/${pad(version)}/`,
    referrer: (target: SchemaReference, subject: string, version: number) =>
      `${prefix}refs/${escapeSubject(target.subject)}/${pad(target.version)}/${escapeSubject(subject)}/${pad(version)}`,
  };
}

/** The key functions of a registry. */
export type RegistryKeys = ReturnType<typeof registryKeys>;
