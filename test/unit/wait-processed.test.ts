import { execa } from "execa";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * `make wait-ready PROCESSED=N` (scripts/wait-ready.sh), which the queue
 * presets' "Try it" block runs between `make produce N=1000` and reading the
 * counters, so the counters it prints show the work done. Against a stand-in
 * orchestrator whose counters rise while it is polled.
 */
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** An orchestrator that is ready, and whose counters grow by `step` per /metrics read, up to `total`. */
async function orchestrator(total: number, step: number, storedBefore = 0): Promise<number> {
  let processed = 0;
  server = createServer((req, res) => {
    if (req.url === "/readyz") return res.end("ok");
    processed = Math.min(total, processed + step);
    res.end(`# TYPE orchestrator_messages_processed_total counter\norchestrator_messages_processed_total ${processed}\norchestrator_messages_stored_before_total ${storedBefore}\norchestrator_messages_failed_total 0\n`);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

function repo(): string {
  const dir = tempDir("chb-wait-");
  mkdirSync(join(dir, "scripts"));
  for (const f of ["wait-ready.sh", "lib.sh"]) writeFileSync(join(dir, "scripts", f), readFileSync(resolve("templates/root/scripts", f), "utf8"));
  return dir;
}

const wait = (dir: string, port: number, env: Record<string, string>) =>
  execa("bash", ["scripts/wait-ready.sh"], { cwd: dir, env: { LISTEN_ADDR: `127.0.0.1:${port}`, ...env }, reject: false, all: true, timeout: 30_000 });

describe("make wait-ready PROCESSED=N", () => {
  it("returns only once N requests are handled", async () => {
    const port = await orchestrator(1000, 250);
    const r = await wait(repo(), port, { PROCESSED: "1000", WAIT_TIMEOUT: "20" });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain("handled: 1000 requests");
  });

  it("counts redeliveries of stored results (a rerun against the same tables)", async () => {
    const port = await orchestrator(0, 0, 1000);
    const r = await wait(repo(), port, { PROCESSED: "1000", WAIT_TIMEOUT: "20" });
    expect(r.exitCode, r.all).toBe(0);
  });

  it("gives up after WAIT_TIMEOUT, saying how many are handled", async () => {
    const port = await orchestrator(259, 259);
    const r = await wait(repo(), port, { PROCESSED: "1000", WAIT_TIMEOUT: "2" });
    expect(r.exitCode).toBe(1);
    expect(r.all).toMatch(/timed out after 2s waiting for 1000 requests handled \(http:\/\/127\.0\.0\.1:\d+\/metrics\): 259 so far/);
  });
});
