import { InvalidArgumentError, Option, type Command } from "commander";
import { isWeirError, parseDuration, parseSize } from "@weir/common";
import type { OutputFormat } from "./output.js";

/** The broker address used when neither `--broker` nor `$WEIR_BROKER` is given. */
export const defaultBrokerAddress = "127.0.0.1:7070";

/** Flags every command that talks to a broker takes. */
export interface BrokerFlags {
  /** gRPC address, `host:port`. */
  broker: string;
  /** How long to wait for the broker before failing with UNAVAILABLE, in ms. */
  connectTimeout: number;
  /** The bearer token (`--token`, `$WEIR_TOKEN`); else the credentials file's (see credentials.ts). */
  token?: string | undefined;
}

/**
 * Adds `--broker <host:port>` (default `$WEIR_BROKER`, else 127.0.0.1:7070) and `--connect-timeout`
 * (default 5s: shorter than the client's, since a person at a terminal wants to hear about a wrong
 * address quickly).
 */
export function addBrokerOption(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--broker <host:port>", "broker gRPC address")
        .env("WEIR_BROKER")
        .default(defaultBrokerAddress),
    )
    .addOption(
      new Option("--connect-timeout <duration>", "give up when the broker cannot be reached within this time")
        .argParser(durationArg("--connect-timeout"))
        .default(5000, "5s"),
    )
    .addOption(
      new Option(
        "--token <token>",
        "bearer token (default: the token `weir up` recorded for this broker in the credentials file)",
      ).env("WEIR_TOKEN"),
    );
}

/** The `--output` format of a command (a global option). */
export function outputFormat(cmd: Command): OutputFormat {
  return cmd.optsWithGlobals<{ output?: OutputFormat }>().output ?? "text";
}

/** An option-value parser for durations ("30s", "7d", or milliseconds). */
export function durationArg(flag: string): (value: string) => number {
  return (value) => wrap(() => parseDuration(value, flag));
}

/** An option-value parser for sizes ("10GiB", "512KiB", or bytes). */
export function sizeArg(flag: string): (value: string) => number {
  return (value) => wrap(() => parseSize(value, flag));
}

/** An option-value parser for whole numbers from `min` up. */
export function intArg(flag: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(
        `${flag} must be a whole number${min > 0 ? ` >= ${min}` : ""}, got "${value}"`,
      );
    }
    return n;
  };
}

/** A parser for a repeatable `key=value` option (`--header`, `--label`) collecting [key, value] pairs. */
export function keyValueArg(
  flag: string,
): (value: string, previous?: Array<[string, string]>) => Array<[string, string]> {
  return (value, previous = []) => {
    const eq = value.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`${flag} must look like key=value, got "${value}"`);
    return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
  };
}

/** Turns a parse failure into a commander usage error (exit code 2). */
function wrap<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isWeirError(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
}
