import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { sha256Hex } from "@weir/broker";

/** The bootstrap admin's principal name (see docs/security.md). */
export const bootstrapPrincipalName = "weir:admin";

/** The files of a data dir's bootstrap admin credential. */
export interface BootstrapCredential {
  /** Lowercase hex SHA-256 of the token; the broker keeps only this. */
  tokenSha256: string;
  /** Where the token was written once (mode 0600); it may have been deleted since. */
  tokenFile: string;
  /** Whether this call created it (a fresh data dir). */
  created: boolean;
}

/**
 * The data dir's bootstrap admin credential, created on first start: a random token written once to
 * `<data-dir>/admin.token` (mode 0600) and its SHA-256 to `<data-dir>/admin.token.sha256`, which is
 * all the broker reads afterwards (deleting admin.token keeps the credential valid; deleting both
 * makes the next start create a new one).
 */
export async function ensureBootstrapCredential(dataDir: string): Promise<BootstrapCredential> {
  await mkdir(dataDir, { recursive: true });
  const tokenFile = resolve(dataDir, "admin.token");
  const hashFile = resolve(dataDir, "admin.token.sha256");
  const stored = await readFile(hashFile, "utf8").catch(() => undefined);
  if (stored !== undefined && /^[0-9a-f]{64}$/.test(stored.trim())) {
    return { tokenSha256: stored.trim(), tokenFile, created: false };
  }
  const token = `weir_${randomBytes(32).toString("base64url")}`;
  await writeFile(tokenFile, token + "\n", { mode: 0o600 });
  await writeFile(hashFile, sha256Hex(token) + "\n", { mode: 0o600 });
  return { tokenSha256: sha256Hex(token), tokenFile, created: true };
}

/** `${WEIR_CONFIG_DIR:-${XDG_CONFIG_HOME:-~/.config}/weir}/credentials.json`. */
export function credentialsFilePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.WEIR_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "weir");
  return join(dir, "credentials.json");
}

interface CredentialsFile {
  /** gRPC address → where its token is. */
  brokers: Record<string, { tokenFile: string }>;
}

async function readCredentialsFile(path: string): Promise<CredentialsFile> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<CredentialsFile>;
    return { brokers: typeof parsed.brokers === "object" && parsed.brokers !== null ? parsed.brokers : {} };
  } catch {
    return { brokers: {} };
  }
}

/** Addresses that name the same local listener ("127.0.0.1:7070" and "localhost:7070"). */
function aliases(address: string): string[] {
  const m = /^(127\.0\.0\.1|localhost|\[::1\]):(\d+)$/.exec(address);
  return m ? [`127.0.0.1:${m[2]}`, `localhost:${m[2]}`] : [address];
}

/**
 * Records in the credentials file that the broker at `address` takes the token in `tokenFile` (the
 * token itself is not copied). Written atomically, mode 0600.
 */
export async function rememberCredential(
  address: string,
  tokenFile: string,
  path = credentialsFilePath(),
): Promise<void> {
  const file = await readCredentialsFile(path);
  for (const a of aliases(address)) file.brokers[a] = { tokenFile: resolve(tokenFile) };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
  await rename(tmp, path);
}

/**
 * The token for a broker: `--token` / `$WEIR_TOKEN` when given, else the token file the credentials
 * file names for that address, else none.
 */
export async function resolveToken(flags: {
  broker: string;
  token?: string | undefined;
}): Promise<string | undefined> {
  if (flags.token !== undefined && flags.token !== "") return flags.token;
  const file = await readCredentialsFile(credentialsFilePath());
  const entry = aliases(flags.broker)
    .map((a) => file.brokers[a])
    .find((e) => e !== undefined);
  if (!entry) return undefined;
  const token = await readFile(entry.tokenFile, "utf8").catch(() => undefined);
  return token?.trim() || undefined;
}
