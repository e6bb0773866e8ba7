// The in-process test node and its helpers live in @weir/testing (the client's tests use them too);
// re-exported here so the broker's tests keep one short import.
export { startTestNode, take, until } from "@weir/testing";
export type { TestNode } from "@weir/testing";
