import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { Cleanup } from "./broker-process.js";

/** A certificate and its key, as PEM text and as files on disk. */
export interface TestCert {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key (PKCS#8). */
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** What a client certificate names: its CN and subject alternative names (OpenSSL syntax). */
export interface ClientCertOptions {
  /** Subject common name. */
  cn: string;
  /** SAN entries as OpenSSL writes them, e.g. `["DNS:svc.local", "URI:spiffe://weir/checkout", "email:a@b.c"]`. */
  san?: string[];
}

/** A throwaway certificate authority in a temporary directory. */
export interface TestCa extends TestCert {
  readonly dir: string;
  /**
   * A server certificate for `name` (default `localhost`), `localhost`, `127.0.0.1` and `::1`, signed by
   * this CA; with `clientAuth` it may also serve as a client certificate (as `weir up --config` with
   * mTLS needs for its in-process controller).
   */
  serverCert(name?: string, options?: { clientAuth?: boolean }): Promise<TestCert>;
  /** A client certificate (extendedKeyUsage clientAuth) signed by this CA. */
  clientCert(options: ClientCertOptions): Promise<TestCert>;
  /** Removes the directory. */
  remove(): Promise<void>;
}

let serial = 0;

/**
 * Makes a certificate authority (EC P-256, valid one day) with the machine's `openssl` command, so tests
 * run a real TLS handshake without certificates checked into the repository. With a test context, the
 * directory is removed after the test.
 *
 * @example
 * const ca = await createTestCa(t);
 * const server = await ca.serverCert();
 * const alice = await ca.clientCert({ cn: "alice", san: ["URI:spiffe://weir/alice"] });
 */
export async function createTestCa(t?: Cleanup, name = "Weir Test CA"): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), "weir-certs-"));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  t?.after(remove);
  const caKey = join(dir, "ca.key");
  const caCert = join(dir, "ca.pem");
  await openssl([
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"],
    ...["-subj", `/CN=${name}`, "-keyout", caKey, "-out", caCert],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);

  const issue = async (base: string, cn: string, extensions: string[]): Promise<TestCert> => {
    const keyFile = join(dir, `${base}.key`);
    const csr = join(dir, `${base}.csr`);
    const certFile = join(dir, `${base}.pem`);
    const extFile = join(dir, `${base}.ext`);
    await writeFile(extFile, extensions.join("\n") + "\n");
    await openssl([
      ...["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
      ...["-subj", `/CN=${cn}`, "-keyout", keyFile, "-out", csr],
    ]);
    await openssl([
      ...["x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey, "-days", "1"],
      ...["-set_serial", String(Date.now() * 1000 + ++serial), "-extfile", extFile, "-out", certFile],
    ]);
    return {
      cert: await readFile(certFile, "utf8"),
      key: await readFile(keyFile, "utf8"),
      certFile,
      keyFile,
    };
  };

  return {
    dir,
    cert: await readFile(caCert, "utf8"),
    key: await readFile(caKey, "utf8"),
    certFile: caCert,
    keyFile: caKey,
    serverCert: (cn = "localhost", { clientAuth = false } = {}) =>
      issue(`server-${++serial}`, cn, [
        "basicConstraints=CA:FALSE",
        `extendedKeyUsage=serverAuth${clientAuth ? ",clientAuth" : ""}`,
        `subjectAltName=DNS:${cn},DNS:localhost,IP:127.0.0.1,IP:::1`,
      ]),
    clientCert: ({ cn, san = [] }) =>
      issue(`client-${++serial}`, cn, [
        "basicConstraints=CA:FALSE",
        "extendedKeyUsage=clientAuth",
        ...(san.length > 0 ? [`subjectAltName=${san.join(",")}`] : []),
      ]),
    remove,
  };
}

async function openssl(args: string[]): Promise<void> {
  await execa("openssl", args);
}
