import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { WeirError, type Logger } from "@weir/common";
import type * as pb from "@weir/proto";
import type { Broker } from "../../broker-types.js";
import { unaryHandler, type SessionTracker } from "./grpc-call.js";
import type { MalformedFrame } from "./grpc-errors.js";
import {
  appendRecordToProto,
  positionToProto,
  produceInputFromProto,
  produceOptionsFromProto,
  produceResultToProto,
} from "./grpc-mapping.js";
import { ProduceStreamSession } from "./produce-stream-session.js";
import { SubscribeSession } from "./subscribe-session.js";
import type { ServerDuplexStream } from "@grpc/grpc-js";

/** Builds the `weir.v1.BrokerService` handlers on a broker. */
export function createBrokerServiceHandlers(
  broker: Broker,
  sessions: SessionTracker,
  logger: Logger,
): UntypedServiceImplementation {
  return {
    produce: unaryHandler<pb.ProduceRequest, pb.ProduceResponse>(broker, async (req, ctx) => {
      const records = req.records.map(produceInputFromProto);
      const options = produceOptionsFromProto(req);
      if (req.perRecord) {
        const results = await broker.produceEach(req.topic, records, ctx, options);
        for (const r of results) if (r.error) broker.observeError(r.error, ctx);
        return { positions: [], results: results.map(produceResultToProto) };
      }
      const positions = await broker.produce(req.topic, records, ctx, options);
      return { positions: positions.map(positionToProto), results: [] };
    }),

    produceStream: (
      call: ServerDuplexStream<pb.ProduceStreamRequest | MalformedFrame, pb.ProduceStreamResponse>,
    ) => {
      sessions.add(new ProduceStreamSession(broker, call, logger));
    },

    subscribe: (call: ServerDuplexStream<pb.SubscribeRequest | MalformedFrame, pb.SubscribeResponse>) => {
      sessions.add(new SubscribeSession(broker, call, logger));
    },

    request: unaryHandler<pb.RequestRequest, pb.RequestResponse>(broker, async (req, ctx) => {
      if (!req.record) {
        throw new WeirError(
          "INVALID_ARGUMENT",
          `Request to "${req.topic}": "record" is missing; send the request as a record`,
        );
      }
      const reply = await broker.request(req.topic, produceInputFromProto(req.record), req.timeoutMs, ctx);
      return { reply: appendRecordToProto(reply) };
    }),

    reply: unaryHandler<pb.ReplyRequest, pb.ReplyResponse>(broker, async (req, ctx) => {
      if (req.replyTo === "" || req.correlationId === "") {
        throw new WeirError(
          "INVALID_ARGUMENT",
          'Reply: "reply_to" and "correlation_id" are required; copy them from the request\'s "weir-reply-to" and "weir-correlation-id" headers',
        );
      }
      if (!req.record) {
        throw new WeirError("INVALID_ARGUMENT", 'Reply: "record" is missing; send the reply as a record');
      }
      const delivered = await broker.reply(
        req.replyTo,
        req.correlationId,
        produceInputFromProto(req.record),
        ctx,
      );
      return { delivered };
    }),
  };
}
