import { createHash, timingSafeEqual } from "node:crypto";
import type { StoredObject } from "@weir/common";
import type { CallerIdentity, Credentials } from "../broker-types.js";

/** The stored-object kind whose objects are the broker's principals. */
export const principalKind = "Principal";

/** One principal as the authenticator matches it. */
interface PrincipalEntry {
  name: string;
  namespace: string;
  /** 1 or 2 SHA-256 digests (2 while a token is rotated). */
  hashes: Buffer[];
  certificateSubject: string | undefined;
}

/** Lowercase hex SHA-256 of a token, as a Principal's `spec.tokenSha256` holds it. */
export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function digestOf(hex: unknown): Buffer | undefined {
  return typeof hex === "string" && /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, "hex") : undefined;
}

/**
 * The principals a broker knows (from stored Principal objects, plus the bootstrap admin) and the
 * matching of a call's credentials against them. Tokens are compared as SHA-256 digests with
 * `crypto.timingSafeEqual`, every known digest checked, so the time taken says nothing about which
 * principal (if any) came close. Replace the whole directory with {@link PrincipalDirectory.fromObjects}
 * when a changeset touches Principals.
 */
export class PrincipalDirectory {
  private constructor(private readonly entries: readonly PrincipalEntry[]) {}

  /**
   * Builds the directory from stored objects (objects of other kinds are skipped). `spec.tokenSha256`
   * may be one hex digest or an array of at most two (rotation); `spec.certificateSubject` names a
   * TLS client certificate subject instead. A malformed digest is ignored (the controller validates
   * Principals before storing them).
   */
  static fromObjects(objects: readonly StoredObject[], bootstrap?: BootstrapPrincipal): PrincipalDirectory {
    const entries: PrincipalEntry[] = [];
    for (const o of objects) {
      if (o.kind !== principalKind) continue;
      const spec = (o.spec ?? {}) as { tokenSha256?: unknown; certificateSubject?: unknown };
      const raw = Array.isArray(spec.tokenSha256) ? spec.tokenSha256.slice(0, 2) : [spec.tokenSha256];
      const hashes = raw.map(digestOf).filter((d): d is Buffer => d !== undefined);
      const certificateSubject =
        typeof spec.certificateSubject === "string" && spec.certificateSubject !== ""
          ? spec.certificateSubject
          : undefined;
      entries.push({ name: o.name, namespace: o.namespace, hashes, certificateSubject });
    }
    if (bootstrap) {
      const digest = digestOf(bootstrap.tokenSha256);
      if (digest)
        entries.push({
          name: bootstrap.name,
          namespace: "",
          hashes: [digest],
          certificateSubject: undefined,
        });
    }
    return new PrincipalDirectory(entries);
  }

  /** Whether any principal exists (then calls without credentials are refused unless anonymous mode is on). */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The principal the credentials prove, or undefined when they prove none (no credentials, an
   * unknown token, a certificate subject no principal names). A token takes precedence over a
   * certificate.
   */
  match(credentials: Credentials): CallerIdentity | undefined {
    if (credentials.token !== undefined) {
      const digest = createHash("sha256").update(credentials.token, "utf8").digest();
      let found: PrincipalEntry | undefined;
      for (const e of this.entries) {
        for (const h of e.hashes) {
          // No early exit: every digest is compared, whichever matches.
          if (timingSafeEqual(h, digest) && found === undefined) found = e;
        }
      }
      return found && { principal: found.name, namespace: found.namespace, method: "token" };
    }
    const subjects = credentials.certificateSubjects ?? [];
    for (const e of this.entries) {
      if (e.certificateSubject !== undefined && subjects.includes(e.certificateSubject)) {
        return { principal: e.name, namespace: e.namespace, method: "certificate" };
      }
    }
    return undefined;
  }
}

/** The admin credential `weir up` creates on a fresh data dir: only its digest is kept. */
export interface BootstrapPrincipal {
  name: string;
  tokenSha256: string;
}
