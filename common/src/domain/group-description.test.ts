import assert from "node:assert/strict";
import { suite, test } from "node:test";
import { GroupInfo, GroupMode as PbGroupMode, GroupSummary as PbGroupSummary } from "@weir/proto";
import {
  groupDescriptionFromProto,
  groupDescriptionToProto,
  groupModeFromProto,
  groupModeToProto,
  groupSummaryFromProto,
  groupSummaryToProto,
  type GroupDescription,
  type GroupSummary,
} from "./group-description.js";

void suite("domain/group-description", () => {
  void test("group modes map one to one; a string that is no mode goes out UNSPECIFIED, which is refused", () => {
    for (const mode of ["stream", "queue"] as const) {
      assert.equal(groupModeFromProto(groupModeToProto(mode), "x"), mode);
    }
    const wire = groupModeToProto("Queue" as "queue");
    assert.equal(wire, PbGroupMode.GROUP_MODE_UNSPECIFIED);
    assert.throws(() => groupModeFromProto(wire, "Subscribe"), {
      code: "INVALID_GROUP_MODE",
      message: /^Subscribe: .*GROUP_MODE_STREAM.*GROUP_MODE_QUEUE/,
    });
  });

  void test("a group summary survives type → proto → type in both modes", () => {
    for (const mode of ["stream", "queue"] as const) {
      const g: GroupSummary = { topic: "orders", group: "billing", mode, members: 2, lag: 17 };
      const bytes = PbGroupSummary.encode(groupSummaryToProto(g)).finish();
      assert.deepEqual(groupSummaryFromProto(PbGroupSummary.decode(bytes)), g);
    }
  });

  void test("a group description survives type → proto → type", () => {
    const g: GroupDescription = {
      topic: "orders",
      group: "billing",
      mode: "queue",
      members: 2,
      lag: 5,
      generation: 4,
      memberList: [
        { memberId: "m1", client: "svc-a", partitions: [0, 2] },
        { memberId: "m2", client: "svc-b", partitions: [] },
      ],
      partitions: [
        { partition: 0, committedOffset: 10, endOffset: 12, lag: 2, inFlight: 1 },
        { partition: 1, committedOffset: 0, endOffset: 3, lag: 3, inFlight: 0 },
      ],
    };
    const bytes = GroupInfo.encode(groupDescriptionToProto(g)).finish();
    assert.deepEqual(groupDescriptionFromProto(GroupInfo.decode(bytes)), g);
  });

  void test("an unknown mode on the wire is a located INVALID_GROUP_MODE", () => {
    const g = { topic: "t", group: "g", mode: PbGroupMode.GROUP_MODE_UNSPECIFIED, members: 0, lag: 0 };
    assert.throws(() => groupSummaryFromProto(g), {
      code: "INVALID_GROUP_MODE",
      message: /group "g" on "t"/,
    });
  });
});
