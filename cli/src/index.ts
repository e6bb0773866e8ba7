export { createProgram, runCli, exitCodes } from "./program.js";
export type { OutputFormat } from "./output.js";
