/** Schemas and HTTP helpers shared by the registry API tests. */

/** v1 of an order: an object with a required string id. */
export const orderV1 = {
  type: "object",
  properties: { id: { type: "string" } },
  required: ["id"],
};

/** Backward compatible with v1: the id may also be a number (accepts everything v1 accepted). */
export const orderWidened = {
  type: "object",
  properties: { id: { type: ["string", "number"] } },
  required: ["id"],
};

/** Breaks v1 backward: a new required field, so v1 documents without it are refused. */
export const orderRequiresAmount = {
  type: "object",
  properties: { id: { type: "string" }, amount: { type: "number" } },
  required: ["id", "amount"],
};

/** A Protobuf schema (first message: Order). */
export const protoV1 = `syntax = "proto3";
package shop.v1;

message Order {
  string id = 1;
  int64 amount = 2;
}
`;

/** Breaks protoV1 on the wire: field 2 changes from int64 to string. */
export const protoAmountAsString = `syntax = "proto3";
package shop.v1;

message Order {
  string id = 1;
  string amount = 2;
}
`;

/** An answer of the Confluent-compatible API. */
export interface SrResponse {
  status: number;
  contentType: string;
  /** Parsed JSON, or the text when it is not JSON. */
  body: unknown;
  text: string;
}

/** Calls `<base><path>` with a JSON body sent as `contentType` (Confluent's own type by default). */
export async function sr(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/vnd.schemaregistry.v1+json",
): Promise<SrResponse> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": contentType },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // a raw schema text (the /schema endpoints) stays text
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: parsed, text };
}

/** A JSON Schema register/check body. */
export function jsonBody(schema: object): { schemaType: "JSON"; schema: string } {
  return { schemaType: "JSON", schema: JSON.stringify(schema) };
}
