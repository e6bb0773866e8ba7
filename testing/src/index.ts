export { startBrokerProcess, sourceEnv } from "./broker-process.js";
export type { BrokerProcess, BrokerProcessOptions, Cleanup } from "./broker-process.js";
export { logEngineContract } from "./contracts/log-engine-contract.js";
export type { LogEngineFixture } from "./contracts/log-engine-contract.js";
export { metadataStoreContract } from "./contracts/metadata-store-contract.js";
export type { MetadataStoreFixture } from "./contracts/metadata-store-contract.js";
export { commitAll, git, gitInit, tempDir, writeFiles } from "./repo-fixtures.js";
export { startTestNode, take, until } from "./test-node.js";
export type { TestNode } from "./test-node.js";
