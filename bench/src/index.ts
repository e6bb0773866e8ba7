export { runBench } from "./run-bench.js";
export type { BenchOutput } from "./run-bench.js";
export {
  defaultNatsServer,
  localResultsDir,
  parseBenchArgs,
  projectNatsServer,
  resolveBenchOptions,
  usage,
} from "./bench-options.js";
export { natsServerMissingMessage } from "./servers/nats-server.js";
export type {
  BenchOptions,
  ResolvedBenchOptions,
  SystemName,
  WeirFsyncPolicy,
  WeirProduceMode,
} from "./bench-options.js";
export { renderMarkdown, scenarioNames } from "./bench-report.js";
export type { BenchReport, MachineFacts, RunRecord, ScenarioName, TargetInfo } from "./bench-report.js";
export { summarizeCpuProfile } from "./cpu-profile.js";
export type { HotFrame, ProfileSummary } from "./cpu-profile.js";
export { orderEventPayloads, orderEventSchema, summarizeValidation } from "./validation-scenario.js";
export type { ValidationReport, ValidationRun, ValidationSummary } from "./validation-scenario.js";
