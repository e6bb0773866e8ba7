import { isIP } from "node:net";
import { connect } from "node:tls";
import type { TlsOptions } from "./client-options.js";

/**
 * Why a TLS handshake with `address` fails, or `undefined` when it succeeds (or the broker cannot be
 * reached at all). grpc-js only reports "could not connect" for a refused handshake, so after a
 * connect timeout the client makes one handshake of its own, with the same certificates, to tell the
 * user what is wrong ("self-signed certificate in certificate chain", "certificate required").
 */
export async function probeTls(
  address: string,
  tls: TlsOptions,
  timeoutMs = 2000,
): Promise<string | undefined> {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return undefined;
  const pem = (v: string | Uint8Array | undefined): string | Buffer | undefined =>
    v === undefined || typeof v === "string" ? v : Buffer.from(v);
  const ca = pem(tls.ca ?? tls.rootCerts);
  const cert = pem(tls.cert ?? tls.certChain);
  const key = pem(tls.key ?? tls.privateKey);
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      ALPNProtocols: ["h2"],
      ...(tls.serverName !== undefined
        ? { servername: tls.serverName }
        : isIP(host) === 0
          ? { servername: host }
          : {}),
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(tls.allowPartialTrustChain === true ? { allowPartialTrustChain: true } : {}),
    });
    let done = false;
    const finish = (why: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once("error", (error: NodeJS.ErrnoException) => {
      // Not reaching the broker is not a TLS problem; the caller's message already covers it.
      if (error.code === "ECONNREFUSED" || error.code === "EHOSTUNREACH" || error.code === "ENOTFOUND") {
        finish(undefined);
      } else finish(error.message);
    });
    socket.once("secureConnect", () => {
      // With TLS 1.3 the server checks the client's certificate after the client has finished the
      // handshake: a refusal arrives as an alert just after, so wait a moment for it.
      setTimeout(() => finish(undefined), Math.min(300, timeoutMs));
    });
  });
}
