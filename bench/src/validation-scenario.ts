/**
 * The produce-time schema validation scenario: the same produce load of JSON records, once to a topic
 * without a schema and once to a topic whose value subject is {@link orderEventSchema}, so the ratio of
 * the two throughputs is what validation costs. Weir only: NATS JetStream has no payload validation.
 */

/** A realistic JSON Schema of an order event: 15 properties, nested objects and arrays, formats. */
export const orderEventSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "OrderCreated",
  type: "object",
  additionalProperties: false,
  required: [
    "orderId",
    "customerId",
    "email",
    "createdAt",
    "status",
    "currency",
    "amount",
    "items",
    "shipping",
  ],
  properties: {
    orderId: { type: "string", format: "uuid" },
    customerId: { type: "string", pattern: "^c-[0-9]{1,12}$" },
    email: { type: "string", format: "email" },
    createdAt: { type: "string", format: "date-time" },
    status: { enum: ["created", "paid", "shipped", "cancelled"] },
    currency: { type: "string", pattern: "^[A-Z]{3}$" },
    amount: { type: "number", minimum: 0 },
    items: {
      type: "array",
      minItems: 1,
      maxItems: 50,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["sku", "quantity", "price"],
        properties: {
          sku: { type: "string", minLength: 1, maxLength: 32 },
          quantity: { type: "integer", minimum: 1 },
          price: { type: "number", minimum: 0 },
        },
      },
    },
    shipping: {
      type: "object",
      additionalProperties: false,
      required: ["name", "street", "city", "postalCode", "country"],
      properties: {
        name: { type: "string", maxLength: 100 },
        street: { type: "string", maxLength: 200 },
        city: { type: "string", maxLength: 100 },
        postalCode: { type: "string", maxLength: 16 },
        country: { type: "string", pattern: "^[A-Z]{2}$" },
      },
    },
    website: { type: "string", format: "uri" },
    clientIp: { type: "string", format: "ipv4" },
    tags: { type: "array", maxItems: 10, items: { type: "string", maxLength: 32 } },
    priority: { type: "integer", minimum: 0, maximum: 9 },
    gift: { type: "boolean" },
    notes: { type: "string", maxLength: 4000 },
  },
} as const;

const utf8 = new TextEncoder();

/**
 * `count` distinct order events valid under {@link orderEventSchema}, each padded (in `notes`) to exactly
 * `size` bytes of UTF-8 JSON when the event without notes is smaller than that.
 */
export function orderEventPayloads(size: number, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const hex = (n: number, width: number): string => n.toString(16).padStart(width, "0").slice(-width);
    const event = {
      orderId: `${hex(i * 2654435761, 8)}-${hex(i, 4)}-4${hex(i, 3)}-8${hex(i * 7, 3)}-${hex(i * 40503, 12)}`,
      customerId: `c-${1000 + i}`,
      email: `customer${i}@shop.example.com`,
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      status: (["created", "paid", "shipped", "cancelled"] as const)[i % 4],
      currency: "EUR",
      amount: 10 + (i % 500) + 0.99,
      items: Array.from({ length: 1 + (i % 3) }, (_, j) => ({
        sku: `SKU-${(i + j) % 9999}`,
        quantity: 1 + j,
        price: 4.5 + j,
      })),
      shipping: {
        name: `Customer ${i}`,
        street: `${1 + (i % 200)} Long Street`,
        city: "Springfield",
        postalCode: `${10000 + (i % 89999)}`,
        country: "DE",
      },
      website: `https://shop.example.com/orders/${i}`,
      clientIp: `10.${i % 256}.${(i >> 8) % 256}.7`,
      tags: ["web", i % 2 === 0 ? "promo" : "regular"],
      priority: i % 10,
      gift: i % 5 === 0,
      notes: "",
    };
    const base = utf8.encode(JSON.stringify(event)).length;
    event.notes = "n".repeat(Math.max(0, size - base));
    out.push(utf8.encode(JSON.stringify(event)));
  }
  return out;
}

/** One produce run of the validation comparison. */
export interface ValidationRun {
  /** The Weir target (fsync policy) it ran against. */
  target: string;
  /** Whether the topic named the schema (values validated) or not. */
  validated: boolean;
  round: number;
  msgPerSec?: number;
  /** Server CPU seconds per million records over the whole job (warm-up included), where /proc exists. */
  serverCpuSecondsPerMillion?: number;
  error?: string;
}

/** The comparison for one target: medians over the rounds. */
export interface ValidationSummary {
  target: string;
  durability: string;
  size: number;
  partitions: number;
  records: number;
  rounds: number;
  withoutSchemaMsgPerSec: number;
  withSchemaMsgPerSec: number;
  /** With ÷ without: 1 means validation costs nothing; the goal is above 0.85. */
  ratio: number;
  /** (1 − ratio) × 100. */
  throughputLossPercent: number;
  /** Server CPU per million records with ÷ without, when measured: what validation costs the broker. */
  serverCpuRatio?: number;
}

/** What a run reports about validation. */
export interface ValidationReport {
  /** The schema the validated topic named, as registered. */
  schemaTitle: string;
  schemaProperties: number;
  runs: ValidationRun[];
  summaries: ValidationSummary[];
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Summarises one target's runs; undefined when either side has no successful run. */
export function summarizeValidation(
  runs: ValidationRun[],
  facts: Omit<
    ValidationSummary,
    "withoutSchemaMsgPerSec" | "withSchemaMsgPerSec" | "ratio" | "throughputLossPercent"
  >,
): ValidationSummary | undefined {
  const side = (validated: boolean): ValidationRun[] =>
    runs.filter((r) => r.target === facts.target && r.validated === validated && r.msgPerSec !== undefined);
  const without = side(false);
  const withSchema = side(true);
  if (without.length === 0 || withSchema.length === 0) return undefined;
  const a = median(without.map((r) => r.msgPerSec!));
  const b = median(withSchema.map((r) => r.msgPerSec!));
  const ratio = b / a;
  const summary: ValidationSummary = {
    ...facts,
    withoutSchemaMsgPerSec: Math.round(a),
    withSchemaMsgPerSec: Math.round(b),
    ratio: Math.round(ratio * 1000) / 1000,
    throughputLossPercent: Math.round((1 - ratio) * 1000) / 10,
  };
  const cpu = (rs: ValidationRun[]): number[] =>
    rs.flatMap((r) => (r.serverCpuSecondsPerMillion === undefined ? [] : [r.serverCpuSecondsPerMillion]));
  const cpuWithout = cpu(without);
  const cpuWith = cpu(withSchema);
  if (cpuWithout.length > 0 && cpuWith.length > 0 && median(cpuWithout) > 0) {
    summary.serverCpuRatio = Math.round((median(cpuWith) / median(cpuWithout)) * 1000) / 1000;
  }
  return summary;
}

/** The markdown section of the validation comparison. */
export function renderValidationMarkdown(v: ValidationReport): string[] {
  const lines = [
    "## Produce-time schema validation (Weir only)",
    "",
    `The same produce load of JSON records twice per round — to a topic without a schema and to a topic whose value`,
    `subject is a ${v.schemaProperties}-property JSON Schema (\`${v.schemaTitle}\`: nested objects, arrays, formats uuid, email,`,
    "date-time, uri, ipv4) — rounds alternating which side goes first; medians over the rounds. NATS JetStream has no",
    "payload validation, so there is no NATS column here. Goal: under 15% throughput loss (ratio above 0.85).",
    "",
    "| Target | Durability | Size | Part. | Records | Rounds | without schema msg/s | with schema msg/s | ratio | throughput loss | server CPU/record ratio |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...v.summaries.map(
      (s) =>
        `| ${s.target} | ${s.durability} | ${s.size} B | ${s.partitions} | ${s.records.toLocaleString("en-US")} | ${s.rounds} | ${s.withoutSchemaMsgPerSec.toLocaleString("en-US")} | ${s.withSchemaMsgPerSec.toLocaleString("en-US")} | ${s.ratio.toFixed(3)} | ${s.throughputLossPercent.toFixed(1)}% | ${s.serverCpuRatio === undefined ? "–" : s.serverCpuRatio.toFixed(3)} |`,
    ),
    "",
  ];
  const failed = v.runs.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    lines.push(
      ...failed.map(
        (r) =>
          `- ${r.target} ${r.validated ? "with" : "without"} schema, round ${r.round}: ${r.error?.split("\n")[0]}`,
      ),
      "",
    );
  }
  return lines;
}
