import { execa } from "execa";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/validate/ports.js";
import { stopGracefully, type Service } from "../../src/validate/processes.js";
import { startWorker, type ServiceBinaries } from "../../src/validate/services.js";
import { tempDir } from "../helpers/cli.js";
import { sharedReleaseBuild } from "../helpers/shared-projects.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * Issue 12's overload, straight at the real Rust worker over gRPC: 200
 * clients, each its own connection, each sending 3 full batches (1,000
 * items × 64 numeric features) with the orchestrator's deadline. Before the
 * worker shed at its transport this gave 0 RESOURCE_EXHAUSTED, 339
 * DEADLINE_EXCEEDED, 205 CANCELLED and 56 OK. The client is the generated
 * repo's own `loadgen burst` (Go, the batch encoded once): a Node client
 * spends seconds pushing 880 MB through HTTP/2 on its one thread, so its own
 * deadlines pass whatever the worker does.
 */
describe("a burst of full batches straight at the worker (issue 12)", () => {
  const scratch = tempDir("chb-burst-");
  const services: Service[] = [];
  let bins: ServiceBinaries;
  let loadgen = "";

  beforeAll(async () => {
    bins = await sharedReleaseBuild();
    // Built into this file's own folder: the shared project's sources stay as they are.
    loadgen = join(scratch, "loadgen");
    await execa("go", ["build", "-o", loadgen, "./cmd/loadgen"], { cwd: join(bins.repo, "orchestrator"), env: E2E_ENV });
  });

  afterAll(async () => {
    for (const s of services) if (!s.exited) await stopGracefully(s, 30_000).catch(() => s.proc.kill("SIGKILL"));
  });

  it("scores or sheds every call, and leaves none to time out", async () => {
    const addr = `127.0.0.1:${await freePort()}`;
    const metrics = `127.0.0.1:${await freePort()}`;
    services.push(await startWorker(bins.repo, bins.workers[0]!, { ...E2E_ENV, RUST_LOG: "warn", METRICS_ADDR: metrics }, addr, join(scratch, "worker.log")));
    const run = await execa(loadgen, ["burst", "-worker", addr, "-worker-metrics", `http://${metrics}/metrics`], { env: E2E_ENV, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    console.log(run.stderr.trim());
    const { worker_grpc_connections: connections, ...f } = JSON.parse(run.stdout) as Record<string, number> & { worker_grpc_connections: unknown };
    // Run alone, the row reports the connections the worker refused, as the full bench does.
    expect(connections).toEqual({ refused: 0 });

    expect(f).toMatchObject({ clients: 200, batches_per_client: 3, items_per_batch: 1000, deadline_ms: 2000, timed_out: 0, errors: 0 });
    expect(f.accepted! + f.shed!).toBe(600);
    expect(f.accepted, run.stderr).toBeGreaterThan(0);
    expect(f.shed, run.stderr).toBeGreaterThan(0);
    // Every refusal loadgen saw is one the worker made and timed itself, before decoding.
    expect(f.worker_shed_calls).toBe(f.shed);
    // The adaptive admission limit is on /metrics, within its ceiling (MAX_IN_FLIGHT's default,
    // 64 permits per CPU the worker may use) and its floor (8 per rayon thread).
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    const limit = Number(/^scoring_admission_limit (\d+)$/m.exec(text)?.[1]);
    expect(limit, text).toBeGreaterThanOrEqual(8);
    expect(limit, text).toBeLessThanOrEqual(64 * availableParallelism());
  });

  // The overload row's shed probe (`loadgen shed-probe`), on its own against an idle worker:
  // every call it paces goes out and is scored, so a refusal it reports under load is the
  // worker's and not the probe's. The bench's e2e run drives it under overload.
  it("shed probe: paces its calls and sorts out the answers, here all scored", async () => {
    const addr = `127.0.0.1:${await freePort()}`;
    const metrics = `127.0.0.1:${await freePort()}`;
    services.push(await startWorker(bins.repo, bins.workers[0]!, { ...E2E_ENV, RUST_LOG: "warn", METRICS_ADDR: metrics }, addr, join(scratch, "probe-worker.log")));
    const vectors = join(bins.repo, "testdata", "vectors.json");
    const run = await execa(loadgen, ["shed-probe", "-worker", addr, "-worker-metrics", `http://${metrics}/metrics`, "-vectors", vectors, "-rate", "100", "-duration", "1s"], { env: E2E_ENV, reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    // "ready" once connected and warmed up (loadgen starts its overload run on it), then the result.
    const [ready, result, ...rest] = run.stdout.split("\n");
    expect([ready, rest]).toEqual(["ready", []]);
    expect(JSON.parse(result!)).toEqual({ shed_us: [], accepted: 100, timed_out: 0, errors: 0, worker_grpc_connections: { refused: 0 } });
  });
});
