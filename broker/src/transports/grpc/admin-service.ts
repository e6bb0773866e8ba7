import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { WeirError, topicConfigInputFromProto } from "@weir/common";
import type * as pb from "@weir/proto";
import type { Broker } from "../../broker-types.js";
import { unaryHandler } from "./grpc-call.js";
import {
  groupDescriptionToProto,
  groupSummaryToProto,
  startFromProto,
  topicInfoToProto,
} from "./grpc-mapping.js";
import {
  changesetOpFromProto,
  changesetOpResultToProto,
  storedObjectToProto,
} from "./grpc-changeset-mapping.js";

/** Builds the `weir.v1.AdminService` handlers on a broker: each maps 1:1 onto a Broker method. */
export function createAdminServiceHandlers(broker: Broker): UntypedServiceImplementation {
  return {
    createTopic: unaryHandler<pb.CreateTopicRequest, pb.CreateTopicResponse>(broker, async (req, ctx) => ({
      topic: topicInfoToProto(
        await broker.createTopic(req.name, topicConfigInputFromProto(req.config, "create"), ctx),
      ),
    })),

    describeTopic: unaryHandler<pb.DescribeTopicRequest, pb.DescribeTopicResponse>(
      broker,
      async (req, ctx) => ({
        topic: topicInfoToProto(await broker.describeTopic(req.name, ctx)),
      }),
    ),

    alterTopic: unaryHandler<pb.AlterTopicRequest, pb.AlterTopicResponse>(broker, async (req, ctx) => {
      const input = topicConfigInputFromProto(req.config, "alter", broker.topicConfig(req.name));
      const expected = req.expectedVersion === 0 ? undefined : req.expectedVersion;
      return { topic: topicInfoToProto(await broker.alterTopic(req.name, input, expected, ctx)) };
    }),

    deleteTopic: unaryHandler<pb.DeleteTopicRequest, pb.DeleteTopicResponse>(broker, async (req, ctx) => {
      await broker.deleteTopic(req.name, ctx);
      return {};
    }),

    listTopics: unaryHandler<pb.ListTopicsRequest, pb.ListTopicsResponse>(broker, async (_req, ctx) => ({
      topics: (await broker.listTopics(ctx)).map(topicInfoToProto),
    })),

    listGroups: unaryHandler<pb.ListGroupsRequest, pb.ListGroupsResponse>(broker, async (req, ctx) => ({
      groups: (await broker.listGroups(req.topic === "" ? undefined : req.topic, ctx)).map(
        groupSummaryToProto,
      ),
    })),

    describeGroup: unaryHandler<pb.DescribeGroupRequest, pb.DescribeGroupResponse>(
      broker,
      async (req, ctx) => ({
        group: groupDescriptionToProto(await broker.describeGroup(req.topic, req.group, ctx)),
      }),
    ),

    resetOffsets: unaryHandler<pb.ResetOffsetsRequest, pb.ResetOffsetsResponse>(broker, async (req, ctx) => {
      const to = startFromProto(req.to, `ResetOffsets of group "${req.group}" on "${req.topic}"`);
      if (!to) {
        throw new WeirError(
          "INVALID_ARGUMENT",
          `ResetOffsets of group "${req.group}" on "${req.topic}": "to" is missing; give earliest, latest, an offset or a timestamp`,
        );
      }
      return { group: groupDescriptionToProto(await broker.resetOffsets(req.topic, req.group, to, ctx)) };
    }),

    applyChangeset: unaryHandler<pb.ApplyChangesetRequest, pb.ApplyChangesetResponse>(
      broker,
      async (req, ctx) => {
        const ops = req.ops.map((op, index) => changesetOpFromProto(op, index));
        const result = await broker.applyChangeset(ops, { dryRun: req.dryRun }, ctx);
        return { applied: result.applied, results: result.results.map(changesetOpResultToProto) };
      },
    ),

    listObjects: unaryHandler<pb.ListObjectsRequest, pb.ListObjectsResponse>(broker, async (req, ctx) => ({
      objects: (await broker.listObjects(req.kind === "" ? undefined : req.kind, ctx)).map(
        storedObjectToProto,
      ),
    })),

    getObject: unaryHandler<pb.GetObjectRequest, pb.GetObjectResponse>(broker, async (req, ctx) => {
      const object = await broker.getObject(req.kind, req.name, ctx);
      return object ? { object: storedObjectToProto(object) } : {};
    }),
  };
}
