/**
 * Thrown by a command that has already printed its result and wants a particular exit code (e.g.
 * `weir schema check`: 1 when a schema is incompatible, 2 when the input does not load). `runCli`
 * returns the code without printing anything more.
 */
export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = "CommandExit";
  }
}
