// Writes a large, realistic config repository for the controller-scale benchmark: a shop split into
// domains (one folder each, ~50 topics per domain), JSON Schemas (draft-07 and 2020-12, the 2020-12 ones
// $ref a shared money schema through a Schema reference) and Protobuf schemas (importing a shared
// money.proto through a reference, and google/protobuf/timestamp.proto), principals, access policies and
// quotas per domain. Deterministic: the same options write the same bytes.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Options of {@link writeScaleRepo}. */
export interface ScaleRepoOptions {
  /** Topic resources, dead-letter topics included. */
  readonly topics: number;
  /** Schema resources, the two shared ones (money.json, money.proto) included. At least 3. */
  readonly schemas: number;
  /** Share of the non-shared schemas that are Protobuf. @default 0.2 */
  readonly protobufShare?: number;
}

/** What {@link writeScaleRepo} wrote. */
export interface ScaleRepoSummary {
  readonly domains: number;
  readonly yamlFiles: number;
  readonly schemaFiles: number;
  /** Total bytes written. */
  readonly bytes: number;
  /** Resources per kind. */
  readonly resources: Readonly<Record<string, number>>;
  /** Non-shared schemas by format. */
  readonly jsonSchemas: number;
  readonly protobufSchemas: number;
}

const domainNames = [
  "orders",
  "payments",
  "inventory",
  "shipping",
  "catalog",
  "pricing",
  "customers",
  "reviews",
  "search",
  "marketing",
  "loyalty",
  "returns",
  "fraud",
  "billing",
  "support",
  "analytics",
  "warehouse",
  "suppliers",
  "notifications",
  "identity",
] as const;

/** Topics per domain the generator aims for (a team-sized folder). */
const topicsPerDomain = 50;
/** Topic documents per YAML file: teams split big folders into several files. */
const topicsPerFile = 25;

const moneyJsonId = "https://schemas.shop.example/common/money.json";

const moneyJson = `${JSON.stringify(
  {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: moneyJsonId,
    title: "Money",
    type: "object",
    properties: {
      amountMinor: { type: "integer", minimum: 0 },
      currency: { type: "string", pattern: "^[A-Z]{3}$" },
    },
    required: ["amountMinor", "currency"],
    additionalProperties: false,
  },
  null,
  2,
)}\n`;

const moneyProto = `syntax = "proto3";

package shop.common.v1;

message Money {
  string currency_code = 1;
  int64 units = 2;
  int32 nanos = 3;
}
`;

/** A JSON Schema of ~2 KB: an event envelope, a nested customer, line items and a dozen plain fields. */
function jsonSchema(domain: string, i: number): string {
  const modern = i % 2 === 0;
  const properties: Record<string, unknown> = {
    eventId: { type: "string", format: "uuid" },
    occurredAt: { type: "string", format: "date-time" },
    source: { type: "string", enum: ["web", "ios", "android", "pos", "batch"] },
    entityId: { type: "string", pattern: `^${domain.slice(0, 3)}_[0-9A-Za-z]{8,32}$` },
    customer: {
      type: "object",
      properties: {
        id: { type: "string", minLength: 1 },
        email: { type: "string", format: "email" },
        tier: { type: "string", enum: ["standard", "silver", "gold"] },
      },
      required: ["id"],
      additionalProperties: false,
    },
    lines: {
      type: "array",
      maxItems: 200,
      items: {
        type: "object",
        properties: {
          sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]{4,8}$" },
          quantity: { type: "integer", minimum: 1 },
          ...(modern ? { price: { $ref: moneyJsonId } } : { priceMinor: { type: "integer", minimum: 0 } }),
        },
        required: ["sku", "quantity"],
        additionalProperties: false,
      },
    },
    tags: { type: "array", items: { type: "string", maxLength: 40 }, maxItems: 20, uniqueItems: true },
  };
  if (modern) properties.total = { $ref: moneyJsonId };
  for (let f = 0; f < 12; f++) {
    properties[`attribute${f}`] =
      f % 3 === 0
        ? { type: "string", maxLength: 200 }
        : f % 3 === 1
          ? { type: "integer", minimum: 0 }
          : { type: "boolean" };
  }
  const schema = {
    $schema: modern
      ? "https://json-schema.org/draft/2020-12/schema"
      : "http://json-schema.org/draft-07/schema#",
    $id: `https://schemas.shop.example/${domain}/event-${i}.json`,
    title: `${domain[0]!.toUpperCase()}${domain.slice(1)}Event${i}`,
    description: `Event ${i} of the ${domain} domain.`,
    type: "object",
    properties,
    required: ["eventId", "occurredAt", "entityId"],
    additionalProperties: false,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** A Protobuf schema of ~1 KB: one event message, an enum, the shared Money and a Timestamp. */
function protoSchema(domain: string, i: number): string {
  const fields = [
    "  string event_id = 1;",
    "  google.protobuf.Timestamp occurred_at = 2;",
    "  string entity_id = 3;",
    "  shop.common.v1.Money amount = 4;",
    `  Event${i}Status status = 5;`,
    "  repeated string tags = 6;",
    "  map<string, string> attributes = 7;",
  ];
  for (let f = 0; f < 8; f++) fields.push(`  ${f % 2 === 0 ? "string" : "int64"} field${f} = ${f + 8};`);
  return `syntax = "proto3";

package shop.${domain}.v1;

import "google/protobuf/timestamp.proto";
import "shop/common/v1/money.proto";

enum Event${i}Status {
  EVENT${i}_STATUS_UNSPECIFIED = 0;
  EVENT${i}_STATUS_OPEN = 1;
  EVENT${i}_STATUS_DONE = 2;
}

message Event${i} {
${fields.join("\n")}
}
`;
}

/** The token hash of a generated principal: sha256 of `<principal>-bench-token`. */
function tokenSha256(principal: string): string {
  return createHash("sha256").update(`${principal}-bench-token`).digest("hex");
}

/**
 * Writes the repository into `dir` (which should be empty) and says what it wrote.
 *
 * @example
 * await writeScaleRepo(dir, { topics: 1000, schemas: 200 });
 */
export async function writeScaleRepo(dir: string, options: ScaleRepoOptions): Promise<ScaleRepoSummary> {
  const { topics } = options;
  const schemas = Math.max(3, options.schemas);
  const own = schemas - 2; // the shared money.json and money.proto are the other two
  const protobufCount = Math.round(own * (options.protobufShare ?? 0.2));
  const domainCount = Math.min(domainNames.length, Math.max(1, Math.ceil(topics / topicsPerDomain)));
  const domains = domainNames.slice(0, domainCount);
  const files = new Map<string, string>();
  const resources: Record<string, number> = { Config: 1 };
  const count = (kind: string, n = 1): void => {
    resources[kind] = (resources[kind] ?? 0) + n;
  };

  files.set(
    "weir.yaml",
    `apiVersion: weir/v1
kind: Config
metadata: { name: scale-bench }
spec:
  defaultNamespace: platform
  defaults:
    compatibility: BACKWARD
    topic: { partitions: 3, retention: { time: 7d, bytes: 1GiB } }
`,
  );
  files.set("platform/schemas/money.json", moneyJson);
  files.set("platform/proto/shop/common/v1/money.proto", moneyProto);
  files.set(
    "platform/schemas.yaml",
    `apiVersion: weir/v1
kind: Schema
metadata: { name: money, labels: { shared: "true" } }
spec: { format: jsonschema, file: schemas/money.json, compatibility: FULL_TRANSITIVE }
---
apiVersion: weir/v1
kind: Schema
metadata: { name: money-proto, labels: { shared: "true" } }
spec: { format: protobuf, file: proto/shop/common/v1/money.proto, compatibility: FULL_TRANSITIVE }
`,
  );
  count("Schema", 2);

  // Schemas: own schema s belongs to domain s % domains; the first `protobufCount` are Protobuf.
  const schemasOf = new Map<string, string[]>(domains.map((d) => [d, []]));
  const schemaDocs = new Map<string, string[]>(domains.map((d) => [d, []]));
  for (let s = 0; s < own; s++) {
    const domain = domains[s % domains.length]!;
    const name = `${domain}-event-${s}`;
    schemasOf.get(domain)!.push(name);
    if (s < protobufCount) {
      const file = `proto/shop/${domain}/v1/event_${s}.proto`;
      files.set(`domains/${domain}/${file}`, protoSchema(domain, s));
      schemaDocs.get(domain)!.push(`apiVersion: weir/v1
kind: Schema
metadata: { name: ${name}, namespace: ${domain} }
spec:
  format: protobuf
  file: ${file}
  messageType: shop.${domain}.v1.Event${s}
  references: [{ name: shop/common/v1/money.proto, schema: money-proto }]
`);
    } else {
      const file = `schemas/event-${s}.json`;
      files.set(`domains/${domain}/${file}`, jsonSchema(domain, s));
      const refs = s % 2 === 0 ? `\n  references: [{ name: "${moneyJsonId}", schema: money }]` : "";
      schemaDocs.get(domain)!.push(`apiVersion: weir/v1
kind: Schema
metadata: { name: ${name}, namespace: ${domain} }
spec:
  format: jsonschema
  file: ${file}${refs}
`);
    }
  }
  count("Schema", own);

  // Topics: one dead-letter topic per domain, the rest spread over the domains and bound to a schema of
  // their domain (or any schema when the domain has none, in tiny repos).
  const topicDocs = new Map<string, string[]>(domains.map((d) => [d, []]));
  const allOwn = [...schemasOf.values()].flat();
  const deadLetters = Math.min(domains.length, Math.max(0, topics - 1));
  for (let d = 0; d < deadLetters; d++) {
    const domain = domains[d]!;
    topicDocs.get(domain)!.push(`apiVersion: weir/v1
kind: Topic
metadata: { name: ${domain}.dead-letters, namespace: ${domain}, labels: { purpose: dead-letter } }
spec: { partitions: 1, retention: { time: 30d } }
`);
  }
  for (let k = 0; k < topics - deadLetters; k++) {
    const domain = domains[k % domains.length]!;
    const domainSchemas = schemasOf.get(domain)!;
    const pool = domainSchemas.length > 0 ? domainSchemas : allOwn;
    const schema = pool[Math.floor(k / domains.length) % pool.length]!;
    // Every fifth topic is consumed by a queue group that dead-letters (to its domain's DLQ topic).
    const hasDeadLetter = k % 5 === 0 && k % domains.length < deadLetters;
    topicDocs.get(domain)!.push(`apiVersion: weir/v1
kind: Topic
metadata:
  name: ${domain}.event-${k}
  namespace: ${domain}
  labels: { team: ${domain}, tier: "${k % 3}" }
spec:
  partitions: ${[1, 3, 6, 12][k % 4]}
  retention: { time: ${[1, 7, 14, 30][k % 4]}d }
  schema: { value: ${schema} }${
    hasDeadLetter
      ? `\n  delivery: { ackTimeout: 30s, maxAttempts: 5, deadLetter: ${domain}.dead-letters }`
      : ""
  }
`);
  }
  count("Topic", topics);

  // Per domain: the schemas file, topic files of 25 documents, a principal, its access policy, a quota.
  for (const domain of domains) {
    if (schemaDocs.get(domain)!.length > 0) {
      files.set(`domains/${domain}/schemas.yaml`, schemaDocs.get(domain)!.join("---\n"));
    }
    const docs = topicDocs.get(domain)!;
    for (let f = 0; f * topicsPerFile < docs.length; f++) {
      files.set(
        `domains/${domain}/topics-${String(f + 1).padStart(2, "0")}.yaml`,
        docs.slice(f * topicsPerFile, (f + 1) * topicsPerFile).join("---\n"),
      );
    }
    files.set(
      `domains/${domain}/access.yaml`,
      `apiVersion: weir/v1
kind: Principal
metadata: { name: ${domain}-service, namespace: ${domain} }
spec: { tokenSha256: "${tokenSha256(`${domain}-service`)}" }
---
apiVersion: weir/v1
kind: AccessPolicy
metadata: { name: ${domain}-service, namespace: ${domain} }
spec:
  principals: [${domain}-service]
  rules:
    - { topics: ["${domain}.>"], actions: [produce, consume, describe] }
    - { groups: ["${domain}.>"], actions: [consume] }
    - { topics: ["${domain}.dead-letters"], actions: [produce], effect: deny }
---
apiVersion: weir/v1
kind: Quota
metadata: { name: ${domain}-service, namespace: ${domain} }
spec:
  principals: [${domain}-service]
  produce: { messagesPerSecond: 5000, bytesPerSecond: 5MiB }
`,
    );
  }
  count("Principal", domains.length);
  count("AccessPolicy", domains.length);
  count("Quota", domains.length);

  let bytes = 0;
  for (const [path, text] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
    bytes += Buffer.byteLength(text);
  }
  const paths = [...files.keys()];
  return {
    domains: domains.length,
    yamlFiles: paths.filter((p) => p.endsWith(".yaml")).length,
    schemaFiles: paths.filter((p) => !p.endsWith(".yaml")).length,
    bytes,
    resources,
    jsonSchemas: own - protobufCount,
    protobufSchemas: protobufCount,
  };
}

/**
 * Makes the kind of commit a team pushes every day to a repository {@link writeScaleRepo} wrote with the
 * same options: one new topic, and one JSON Schema gaining an optional property (a compatible change).
 * Returns how many resources the next reconcile must change.
 */
export async function writeSmallChange(dir: string, options: ScaleRepoOptions): Promise<number> {
  const schemas = Math.max(3, options.schemas);
  const own = schemas - 2;
  const protobufCount = Math.round(own * (options.protobufShare ?? 0.2));
  const domainCount = Math.min(domainNames.length, Math.max(1, Math.ceil(options.topics / topicsPerDomain)));
  const domain = domainNames[0];
  const bound = `${domainNames[(own - 1) % domainCount]}-event-${own - 1}`;
  await writeFile(
    join(dir, `domains/${domain}/topics-added.yaml`),
    `apiVersion: weir/v1
kind: Topic
metadata: { name: ${domain}.added-today, namespace: ${domain}, labels: { team: ${domain} } }
spec: { partitions: 3, schema: { value: ${bound} } }
`,
  );
  const last = own - 1;
  if (last < protobufCount) return 1; // every own schema is Protobuf: only the topic changes
  const file = join(dir, `domains/${domainNames[last % domainCount]}/schemas/event-${last}.json`);
  const schema = JSON.parse(await readFile(file, "utf8")) as { properties: Record<string, unknown> };
  schema.properties.note = { type: "string", maxLength: 500 };
  await writeFile(file, `${JSON.stringify(schema, null, 2)}\n`);
  return 2;
}
