export { startBrokerProcess, sourceEnv } from "./broker-process.js";
export type { BrokerProcess, BrokerProcessOptions, Cleanup } from "./broker-process.js";
