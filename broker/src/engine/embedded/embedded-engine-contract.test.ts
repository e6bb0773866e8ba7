// Runs the shared LogEngine contract against the embedded engine, once per fsync mode: the modes
// differ in when records become visible and acknowledged, which the contract checks.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logEngineContract } from "@weir/testing";
import { createEmbeddedEngine, type FsyncMode } from "./embedded-engine.js";

for (const fsync of ["always", "interval", "none"] as const satisfies readonly FsyncMode[]) {
  logEngineContract(`embedded (fsync ${fsync})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "weir-engine-contract-"));
    // Small segments and index interval so the contract also crosses segment and index boundaries.
    const open = () =>
      createEmbeddedEngine({
        dir,
        fsync,
        segmentBytes: 64 * 1024,
        indexIntervalBytes: 512,
        fsyncIntervalMs: 20,
      });
    return {
      engine: await open(),
      reopen: open,
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
}
