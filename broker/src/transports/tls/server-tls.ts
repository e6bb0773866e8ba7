import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ServerCredentials } from "@grpc/grpc-js";
import { WeirError } from "@weir/common";

/** Where the broker's TLS files are (`--tls-cert`, `--tls-key`, `--tls-client-ca`). */
export interface ServerTlsFiles {
  /** PEM certificate chain the broker presents, leaf first. */
  certFile: string;
  /** PEM private key of the leaf certificate. */
  keyFile: string;
  /** PEM CA certificates; when given, clients must present a certificate signed by one of them (mTLS). */
  clientCaFile?: string;
}

/** The checked contents of {@link ServerTlsFiles}, shared by the gRPC and HTTP servers. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** Present for mTLS: client certificates are required and verified against it. */
  clientCa?: Buffer;
}

/**
 * Reads and checks the broker's TLS files before anything listens, so a bad file stops the start with
 * TLS_CONFIG_INVALID naming the flag, the file and the fix, not with an OpenSSL stack trace from inside
 * a transport. Checks: each file is readable PEM, the certificate parses, the key parses and belongs to
 * the certificate, the client CA holds at least one certificate.
 */
export async function loadServerTls(files: ServerTlsFiles): Promise<ServerTls> {
  const cert = await readPem("--tls-cert", files.certFile, "CERTIFICATE");
  const key = await readPem("--tls-key", files.keyFile, "PRIVATE KEY");
  const leaf = parseCertificate("--tls-cert", files.certFile, cert);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (error) {
    throw invalid(
      "--tls-key",
      files.keyFile,
      `is not a usable unencrypted PEM private key (${(error as Error).message}); give the key of the --tls-cert certificate, without a passphrase`,
      error,
    );
  }
  if (!leaf.checkPrivateKey(keyObject)) {
    throw invalid(
      "--tls-key",
      files.keyFile,
      `does not belong to the certificate in ${resolve(files.certFile)} (subject ${leaf.subject.replaceAll("\n", ", ")}); give the key the certificate was issued for, or both files from the same issue`,
    );
  }
  if (files.clientCaFile === undefined) return { cert, key };
  const clientCa = await readPem("--tls-client-ca", files.clientCaFile, "CERTIFICATE");
  parseCertificate("--tls-client-ca", files.clientCaFile, clientCa);
  return { cert, key, clientCa };
}

/** gRPC server credentials for {@link ServerTls}: client certificates required when a client CA is set. */
export function grpcServerCredentials(tls: ServerTls): ServerCredentials {
  return ServerCredentials.createSsl(
    tls.clientCa ?? null,
    [{ private_key: tls.key, cert_chain: tls.cert }],
    tls.clientCa !== undefined,
  );
}

/**
 * Node `https` server options for {@link ServerTls}: with a client CA, a client without a certificate
 * signed by it is refused in the handshake.
 */
export function httpsServerOptions(tls: ServerTls): {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return tls.clientCa === undefined
    ? { cert: tls.cert, key: tls.key, requestCert: false, rejectUnauthorized: false }
    : { cert: tls.cert, key: tls.key, ca: tls.clientCa, requestCert: true, rejectUnauthorized: true };
}

async function readPem(flag: string, file: string, label: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "is not readable by this process (check its permissions)"
          : code === "EISDIR"
            ? "is a directory, not a PEM file"
            : `cannot be read (${(error as Error).message})`;
    throw invalid(flag, file, `${why}; give the path of a PEM file`, error);
  }
  if (!data.toString("latin1").includes(`-----BEGIN ${label}`) && !isAnyPrivateKey(label, data)) {
    throw invalid(
      flag,
      file,
      `is not a PEM file with a "-----BEGIN ${label}-----" block; convert it to PEM (e.g. openssl x509 -inform der -in <file> -out <file>.pem)`,
    );
  }
  return data;
}

/** A private key may be labelled "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY". */
function isAnyPrivateKey(label: string, data: Buffer): boolean {
  return label === "PRIVATE KEY" && /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(data.toString("latin1"));
}

function parseCertificate(flag: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw invalid(
      flag,
      file,
      `holds no valid PEM certificate (${(error as Error).message}); give a PEM certificate file`,
      error,
    );
  }
}

function invalid(flag: string, file: string, what: string, cause?: unknown): WeirError {
  return new WeirError("TLS_CONFIG_INVALID", `${flag} ${resolve(file)} ${what}`, {
    details: { flag, file: resolve(file) },
    ...(cause === undefined ? {} : { cause }),
  });
}
