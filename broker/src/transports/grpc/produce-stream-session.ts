import type { ServerDuplexStream } from "@grpc/grpc-js";
import { WeirError, type Logger } from "@weir/common";
import type * as pb from "@weir/proto";
import type { Broker } from "../../broker-types.js";
import { callContext, type StreamSession } from "./grpc-call.js";
import { isMalformed, toErrorStatus, toServerError, type MalformedFrame } from "./grpc-errors.js";
import {
  positionToProto,
  produceInputFromProto,
  produceOptionsFromProto,
  produceResultToProto,
} from "./grpc-mapping.js";

/** Batches one ProduceStream may have in the broker at once before the server stops reading it. */
export const maxProduceStreamInFlight = 64;

/**
 * Serves one ProduceStream call: every batch is handed to the broker as it arrives (so a client can
 * pipeline many) and answered by its sequence number as soon as it is durable. A refused batch is
 * answered in-band with `error` and the stream goes on; only an undecodable frame ends it, because its
 * sequence number cannot be known.
 */
export class ProduceStreamSession implements StreamSession {
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly ctx;
  private inFlight = 0;
  private paused = false;
  private inputEnded = false;
  private shuttingDown = false;
  private finished = false;

  constructor(
    private readonly broker: Broker,
    private readonly call: ServerDuplexStream<
      pb.ProduceStreamRequest | MalformedFrame,
      pb.ProduceStreamResponse
    >,
    private readonly logger: Logger,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.ctx = callContext(call);
    call.on("data", (frame: pb.ProduceStreamRequest | MalformedFrame) => this.onFrame(frame));
    call.on("end", () => {
      this.inputEnded = true;
      this.maybeFinish();
    });
    call.on("cancelled", () => this.finish());
    call.on("error", (error) => {
      this.logger.debug("produce stream failed", { error });
      this.finish();
    });
  }

  shutdown(): void {
    if (this.finished || this.shuttingDown) return;
    this.shuttingDown = true;
    // Answer what is in the broker already, then end; the client re-sends the rest elsewhere.
    this.call.pause();
    this.maybeFinish();
  }

  private onFrame(frame: pb.ProduceStreamRequest | MalformedFrame): void {
    if (this.finished || this.shuttingDown) return;
    if (isMalformed(frame)) {
      this.fail(frame.toError());
      return;
    }
    this.inFlight++;
    if (this.inFlight >= maxProduceStreamInFlight && !this.paused) {
      // Backpressure: stop reading until the broker catches up, so a fast client cannot queue unbounded work.
      this.paused = true;
      this.call.pause();
    }
    const { sequence } = frame;
    void this.produce(frame).then((answer) => {
      this.inFlight--;
      if (!this.finished) this.call.write({ sequence, ...answer });
      if (this.paused && !this.shuttingDown && this.inFlight < maxProduceStreamInFlight / 2) {
        this.paused = false;
        this.call.resume();
      }
      this.maybeFinish();
    });
  }

  private async produce(
    frame: pb.ProduceStreamRequest,
  ): Promise<Pick<pb.ProduceStreamResponse, "positions" | "error" | "results">> {
    try {
      const records = frame.records.map(produceInputFromProto);
      const options = produceOptionsFromProto(frame);
      if (frame.perRecord) {
        const results = await this.broker.produceEach(frame.topic, records, this.ctx, options);
        for (const r of results) if (r.error) this.broker.observeError(r.error, this.ctx);
        return { positions: [], results: results.map(produceResultToProto) };
      }
      const positions = await this.broker.produce(frame.topic, records, this.ctx, options);
      return { positions: positions.map(positionToProto), results: [] };
    } catch (error) {
      return { positions: [], results: [], error: toErrorStatus(this.broker.observeError(error, this.ctx)) };
    }
  }

  private maybeFinish(): void {
    if (this.finished || this.inFlight > 0) return;
    if (this.shuttingDown) {
      this.finished = true;
      this.call.emit(
        "error",
        toServerError(
          new WeirError("UNAVAILABLE", "the broker is shutting down; reconnect and publish again"),
        ),
      );
      this.resolveDone();
    } else if (this.inputEnded) {
      this.finished = true;
      this.call.end();
      this.resolveDone();
    }
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.call.emit("error", toServerError(this.broker.observeError(error, this.ctx)));
    this.resolveDone();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone();
  }
}
