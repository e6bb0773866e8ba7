/**
 * How the load generator reaches a system under test; plain data, so it crosses the IPC boundary
 * between the orchestrator and the load process.
 */
export type ConnectSpec =
  | { system: "nats"; servers: string }
  | {
      system: "weir";
      address: string;
      /** The broker's bootstrap admin token (sent to the load process over IPC, never logged). */
      token: string;
      produceMode: "publish" | "batch";
      batchSize: number;
    };

/** A running subscription. */
export interface DriverSubscription {
  close(): Promise<void>;
}

/**
 * One system under test, seen from the client: every scenario is written once against this, so
 * both systems run exactly the same load shape.
 */
export interface BenchDriver {
  /** Human-readable description of the produce call and consumer the driver uses. */
  readonly describe: { produce: string; consume: string };
  /**
   * Creates a fresh topic with `partitions` partitions (NATS: that many streams). With `valueSchema`,
   * registers it and makes it the topic's value schema, so every produced value is validated (Weir only).
   */
  createTopic(
    topic: string,
    partitions: number,
    valueSchema?: { subject: string; schema: string },
  ): Promise<void>;
  /** Publishes one record to a partition; resolves once the system acknowledged it as stored. */
  publish(topic: string, partition: number, value: Uint8Array): Promise<void>;
  /**
   * Publishes records to one partition; resolves once all are acknowledged. Systems without a batch
   * call publish them one by one (all in flight at once).
   */
  publishBatch(topic: string, partition: number, values: Uint8Array[]): Promise<void>;
  /** Whether `publishBatch` is a real batch call (then the throughput run uses it). */
  readonly batchesProduce: boolean;
  /** Subscribes to every partition from the beginning, acknowledging each record after `onRecord`. */
  subscribe(
    topic: string,
    partitions: number,
    onRecord: (value: Uint8Array) => void,
  ): Promise<DriverSubscription>;
  /** Removes the topic (frees disk between scenarios); best effort. */
  deleteTopic(topic: string, partitions: number): Promise<void>;
  close(): Promise<void>;
}
