import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** The binary. @default "nats-server" */
  binary?: string;
  /** Parent of the temporary store dir. */
  dataDir: string;
  /** Adds `sync_interval: always` to the JetStream block (fsync after every write; nats-server 2.10+). */
  syncAlways?: boolean;
  /** Give up waiting for the server after this long. @default 15000 */
  startTimeoutMs?: number;
}

/** A nats-server child process with JetStream on, in a fresh store dir. */
export interface NatsServerProcess {
  /** `127.0.0.1:PORT`. */
  readonly url: string;
  readonly storeDir: string;
  readonly child: ChildProcess;
  /** Stops the server and removes its store dir. */
  stop(): Promise<void>;
}

/**
 * The one line `npm run bench` prints when nats-server is missing: what is missing and the ways on.
 */
export function natsServerMissingMessage(binary: string): string {
  return (
    `${binary} was not found: the benchmark compares Weir with NATS JetStream; ` +
    "install nats-server with `npm run setup:nats` (needs Go), pass --nats-server PATH, or run Weir alone with --only weir"
  );
}

/** The installed nats-server's version ("v2.9.10"), or undefined when the binary is missing. */
export async function natsServerVersion(binary = "nats-server"): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(binary, ["--version"]);
    const text = `${stdout}${stderr}`;
    return /v\d+\.\d+\.\d+\S*/.exec(text)?.[0] ?? text.trim();
  } catch {
    return undefined;
  }
}

/**
 * Whether this nats-server accepts `jetstream { sync_interval: always }` (added in 2.10; 2.9 rejects
 * the config with "unknown field"). Checked with `-t`, which validates a config and exits.
 */
export async function natsSupportsSyncAlways(binary: string, scratchDir: string): Promise<boolean> {
  const dir = await mkdtemp(join(scratchDir, "weir-bench-natscheck-"));
  try {
    const conf = join(dir, "check.conf");
    await writeFile(conf, natsConfig({ port: 4222, storeDir: join(dir, "js"), syncAlways: true }));
    await run(binary, ["-c", conf, "-t"]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function natsConfig(o: { port: number; storeDir: string; syncAlways: boolean }): string {
  // JSON strings are valid NATS config strings and escape the path safely.
  return [
    `host: "127.0.0.1"`,
    `port: ${o.port}`,
    "jetstream {",
    `  store_dir: ${JSON.stringify(o.storeDir)}`,
    ...(o.syncAlways ? ["  sync_interval: always"] : []),
    "}",
    "",
  ].join("\n");
}

/** A port that was free a moment ago (nats-server takes no port 0 that it then reports). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts `nats-server` with JetStream (file storage) and resolves once it accepts connections. */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerProcess> {
  const binary = options.binary ?? "nats-server";
  const storeDir = await mkdtemp(join(options.dataDir, "weir-bench-nats-"));
  const port = await freePort();
  const conf = join(storeDir, "nats.conf");
  await writeFile(
    conf,
    natsConfig({ port, storeDir: join(storeDir, "js"), syncAlways: options.syncAlways ?? false }),
  );
  const child = spawn(binary, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    // Keep only the tail: the server logs little, but a long run should not grow this without bound.
    log = (log + chunk).slice(-16_384);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));

  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  // "Server is ready" comes after JetStream has started, so wait for it rather than the port alone.
  while (!(log.includes("Server is ready") && (await accepts(port)))) {
    if (dead) throw new Error(`nats-server exited before it was ready:\n${log}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`nats-server was not ready within ${options.startTimeoutMs ?? 15_000} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  let stopped = false;
  return {
    url: `127.0.0.1:${port}`,
    storeDir,
    child,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!dead) {
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.kill("SIGTERM");
        await exited;
        clearTimeout(timer);
      }
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
