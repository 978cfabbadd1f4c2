import { writeFile } from "node:fs/promises";
import { traceTree } from "./trace-check.js";
import { diffResponse, loadVectors, type Vector } from "./vectors.js";
import { scoringClient } from "./grpc.js";
import { freePort } from "./ports.js";
import { killAll, waitFor, type Service } from "./processes.js";
import { startOrchestrator, startWorkers, stopOrchestrator, stopWorker } from "./services.js";
import type { StepContext } from "./steps.js";
import { awaitTrace, checkSmokeMetrics, protocolFor, startSmokeTelemetry, type SmokeTelemetry } from "./telemetry-smoke.js";


/**
 * The live proof: every worker and the orchestrator on free loopback ports
 * (a uds worker on its Unix socket),
 * every test vector directly over gRPC to each worker and through HTTP on the
 * primary's routes and each worker's own, bad input rejected, and every
 * service stopping cleanly on SIGTERM.
 */
export async function smokeStep(ctx: StepContext): Promise<void> {
  const { orchestrator, workers } = ctx.binaries;
  if (!orchestrator || !workers?.length) throw new Error("smoke needs the go and rust steps to have built every service");
  const vectors = loadVectors(ctx.dir);
  const httpAddr = `127.0.0.1:${await freePort()}`;
  const base = `http://${httpAddr}`;
  const env = { ...process.env, RUST_LOG: "info" } as Record<string, string>;
  const services: Service[] = [];
  const m = ctx.manifest;
  let telemetry: SmokeTelemetry | undefined;
  ctx.activity.commandStarted("smoke", `${workers.map((w) => w.name + (w.transport === "uds" ? " (unix socket)" : "")).join(", ")} and the orchestrator on loopback; every test vector over gRPC and HTTP`, "");
  try {
    telemetry = await startSmokeTelemetry(m);
    const bins = { repo: ctx.dir, workers, orchestrator };
    const own = (name: string) => telemetry?.env(name, protocolFor(name, m)) ?? {};
    const running = await startWorkers(bins, env, (name) => ctx.log(`smoke-${name}`), services, own);
    const o = await startOrchestrator(bins, { ...env, ...own("orchestrator") }, httpAddr, running, ctx.log("smoke-orchestrator"));
    services.push(o);

    for (const w of running) await checkGrpc(ctx.dir, w.name, w.addr, vectors);
    await checkHttp(`${base}/v1`, vectors);
    for (const w of running) await checkHttp(`${base}/v1/workers/${w.name}`, vectors);
    const bad = await post(`${base}/v1/score`, '{"id": "x", ');
    if (bad.status !== 400) throw new Error(`malformed JSON: got ${bad.status}, want 400`);

    if (telemetry) {
      // Per route: every vector one by one plus one batch; the primary answers /v1 too.
      const perRoute = vectors.length + 1;
      const routed = perRoute * (1 + running.length);
      const served = Object.fromEntries(running.map((w, i) => [w.name, perRoute * (i === 0 ? 3 : 2)]));
      const trace = await awaitTrace(m, telemetry);
      await writeFile(ctx.log("smoke-trace"), traceTree(telemetry.receiver.spans(), trace));
      const metrics = await checkSmokeMetrics(m, telemetry, httpAddr, { handled: routed, workerCalls: routed, served });
      ctx.note?.(`smoke: ${trace.summary}; ${metrics}`);
    }

    // Primary gone: the orchestrator must notice and fail fast, not hang.
    const [primary, ...others] = running;
    await stopWorker(primary!.service);
    await waitFor(`GET /readyz to return 503 once ${primary!.name} stopped`, o, async () => (await fetch(`${base}/readyz`)).status === 503, 15_000);
    const started = Date.now();
    const res = await post(`${base}/v1/score`, JSON.stringify(vectors[0]!.request));
    if (res.status !== 503) throw new Error(`POST /v1/score with ${primary!.name} down: got ${res.status}, want 503`);
    const elapsed = Date.now() - started;
    if (elapsed > 2_000) throw new Error(`POST /v1/score with ${primary!.name} down took ${elapsed} ms, want a fast 503`);

    await stopOrchestrator(o);
    for (const w of others) await stopWorker(w.service);
  } finally {
    killAll(services);
    await telemetry?.close();
  }
}

async function checkGrpc(repo: string, worker: string, addr: string, vectors: Vector[]) {
  const client = scoringClient(repo, addr);
  try {
    for (const v of vectors) fail(diffResponse(`${v.name} (${worker} gRPC Score)`, await client.score(v.request), v.expected));
    const batch = await client.scoreBatch({ requests: vectors.map((v) => v.request) });
    vectors.forEach((v, i) => fail(diffResponse(`${v.name} (${worker} gRPC ScoreBatch)`, batch.responses?.[i], v.expected)));
  } finally {
    client.close();
  }
}

/** Every vector, one by one and as a batch, through prefix/score and prefix/score/batch. */
async function checkHttp(prefix: string, vectors: Vector[]) {
  const path = new URL(prefix).pathname;
  for (const v of vectors) {
    const res = await post(`${prefix}/score`, JSON.stringify(v.request));
    if (res.status !== 200) throw new Error(`POST ${path}/score (${v.name}): status ${res.status}: ${await res.text()}`);
    fail(diffResponse(`${v.name} (HTTP ${path}/score)`, await res.json(), v.expected));
  }
  const res = await post(`${prefix}/score/batch`, JSON.stringify({ requests: vectors.map((v) => v.request) }));
  if (res.status !== 200) throw new Error(`POST ${path}/score/batch: status ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { responses?: Record<string, unknown>[] };
  vectors.forEach((v, i) => fail(diffResponse(`${v.name} (HTTP ${path}/score/batch)`, body.responses?.[i], v.expected)));
}

function post(url: string, body: string) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(10_000) });
}

function fail(message: string | undefined) {
  if (message) throw new Error(message);
}
