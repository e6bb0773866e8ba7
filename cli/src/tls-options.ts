import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Option, type Command } from "commander";
import type { TlsOptions } from "@weir/client";
import { WeirError } from "@weir/common";

/** The client TLS flags of every command that talks to a broker. */
export interface TlsClientFlags {
  /** `--tls-ca <pem file>` ($WEIR_TLS_CA): CA certificate(s) the broker's certificate must chain to. */
  tlsCa?: string;
  /** `--tls-cert <pem file>` ($WEIR_TLS_CERT): client certificate, for a broker requiring one (mTLS). */
  tlsCert?: string;
  /** `--tls-key <pem file>` ($WEIR_TLS_KEY): the client certificate's private key. */
  tlsKey?: string;
}

/**
 * Adds `--tls-ca`, `--tls-cert` and `--tls-key` (defaults `$WEIR_TLS_CA`, `$WEIR_TLS_CERT`,
 * `$WEIR_TLS_KEY`). Any of them, or a `grpcs://` broker address, turns TLS on.
 */
export function addTlsClientOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "--tls-ca <pem file>",
        "connect with TLS, trusting this CA (default: the system's roots when TLS is on)",
      ).env("WEIR_TLS_CA"),
    )
    .addOption(
      new Option("--tls-cert <pem file>", "client certificate for a broker that requires one (mTLS)").env(
        "WEIR_TLS_CERT",
      ),
    )
    .addOption(new Option("--tls-key <pem file>", "private key of --tls-cert").env("WEIR_TLS_KEY"));
}

/**
 * The client's `tls` option for these flags: `undefined` (plaintext) when no TLS flag is given and the
 * address is not `grpcs://`. Reads the files now, so a bad path fails with TLS_CONFIG_INVALID naming
 * the flag and the file instead of a handshake failure later.
 */
export async function clientTls(flags: TlsClientFlags, address: string): Promise<TlsOptions | undefined> {
  const any = flags.tlsCa !== undefined || flags.tlsCert !== undefined || flags.tlsKey !== undefined;
  if (!any) return address.startsWith("grpcs://") ? {} : undefined;
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    const [given, missing] =
      flags.tlsCert === undefined ? ["--tls-key", "--tls-cert"] : ["--tls-cert", "--tls-key"];
    throw new WeirError(
      "TLS_CONFIG_INVALID",
      `${given} needs ${missing} too: a client certificate is given as a certificate and its key`,
      { details: { flag: missing } },
    );
  }
  const tls: TlsOptions = {};
  if (flags.tlsCa !== undefined) tls.ca = await readPemFile("--tls-ca", flags.tlsCa);
  if (flags.tlsCert !== undefined) tls.cert = await readPemFile("--tls-cert", flags.tlsCert);
  if (flags.tlsKey !== undefined) tls.key = await readPemFile("--tls-key", flags.tlsKey);
  return tls;
}

async function readPemFile(flag: string, file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WeirError(
      "TLS_CONFIG_INVALID",
      `${flag} ${resolve(file)} ${code === "ENOENT" ? "does not exist" : `cannot be read (${(error as Error).message})`}; give the path of a PEM file`,
      { cause: error, details: { flag, file: resolve(file) } },
    );
  }
  if (!text.includes("-----BEGIN ")) {
    throw new WeirError(
      "TLS_CONFIG_INVALID",
      `${flag} ${resolve(file)} is not a PEM file (no "-----BEGIN" block); convert it to PEM`,
      { details: { flag, file: resolve(file) } },
    );
  }
  return text;
}
