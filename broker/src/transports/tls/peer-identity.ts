import { X509Certificate } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket, type PeerCertificate } from "node:tls";

/**
 * The names a client certificate proves, in the form a Principal's `spec.certificateSubject` names one of them:
 * `CN=<common name>` for the subject's common name, then each subject alternative name as OpenSSL and
 * Node print it: `DNS:<name>`, `URI:<uri>`, `email:<address>`, `IP Address:<ip>`. Empty when the
 * certificate names nothing. Values are compared exactly (case-sensitive) by whoever matches them.
 */
export function certificateSubjects(cert: PeerCertificate | X509Certificate): string[] {
  const subjects: string[] = [];
  if (cert instanceof X509Certificate) {
    for (const cn of commonNames(cert.subject)) subjects.push(`CN=${cn}`);
    subjects.push(...splitSubjectAltName(cert.subjectAltName));
    return subjects;
  }
  // Typed as a string, but Node gives an array when the subject has several CNs.
  const cn: unknown = cert.subject?.CN;
  for (const name of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn])
    subjects.push(`CN=${String(name)}`);
  subjects.push(...splitSubjectAltName(cert.subjectaltname));
  return subjects;
}

/** What grpc-js hands a server handler or interceptor: the call's auth context (grpc-js ≥ 1.13). */
export interface GrpcCallWithAuthContext {
  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * The verified client certificate's subjects of a gRPC call (see {@link certificateSubjects}), or
 * `undefined` when the connection is plaintext, carries no client certificate, or the certificate was
 * not verified (grpc-js reports a certificate only when the TLS socket is `authorized`).
 */
export function grpcPeerSubjects(call: GrpcCallWithAuthContext): string[] | undefined {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  return cert === undefined ? undefined : certificateSubjects(cert);
}

/**
 * The verified client certificate's subjects of an HTTP request (see {@link certificateSubjects}), or
 * `undefined` when the request came over plaintext or without a verified client certificate. Takes
 * anything with the request's socket (a fastify request, a Node `IncomingMessage`).
 */
export function httpPeerSubjects(request: { socket: Socket }): string[] | undefined {
  const socket = request.socket;
  // A certificate the server did not verify against --tls-client-ca proves nothing.
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  // Without a client certificate Node returns an empty object.
  if (cert === null || cert.raw === undefined) return undefined;
  return certificateSubjects(cert);
}

/** The CN values of a subject printed by Node (`CN=a\nO=b`, one attribute per line). */
function commonNames(subject: string): string[] {
  return subject
    .split("\n")
    .filter((line) => line.startsWith("CN="))
    .map((line) => unquote(line.slice(3)));
}

/**
 * Splits Node's `subjectaltname` string (`DNS:a, URI:b, email:c`). Node quotes a value that holds a
 * comma or a quote as a JSON string (`DNS:"a, b"`), so a naive split on ", " would break it apart.
 */
function splitSubjectAltName(text: string | undefined): string[] {
  if (text === undefined || text === "") return [];
  const entries: string[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      // A JSON string: find its closing quote, skipping escaped characters.
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      value = unquote(text.slice(colon + 1, j + 1));
      next = j + 1;
    } else {
      const comma = text.indexOf(", ", colon + 1);
      next = comma < 0 ? text.length : comma;
      value = text.slice(colon + 1, next);
    }
    entries.push(`${kind}:${value}`);
    i = text.startsWith(", ", next) ? next + 2 : next;
  }
  return entries;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value;
  }
}
