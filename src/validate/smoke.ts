import { join } from "node:path";
import { diffResponse, loadVectors, type Vector } from "./vectors.js";
import { scoringClient } from "./grpc.js";
import { freePort, killAll, stopGracefully, waitFor, type Service } from "./processes.js";
import { startOrchestrator, startWorker } from "./services.js";
import type { StepContext } from "./steps.js";

const GRACE_MS = 10_000;

/**
 * The live proof: worker and orchestrator on free loopback ports, every test
 * vector through HTTP and directly over gRPC, bad input rejected, and both
 * services stopping cleanly on SIGTERM.
 */
export async function smokeStep(ctx: StepContext): Promise<void> {
  const { orchestrator, worker } = ctx.binaries;
  if (!orchestrator || !worker) throw new Error("smoke needs the go and rust steps to have built both services");
  const vectors = loadVectors(ctx.dir);
  const workerAddr = `127.0.0.1:${await freePort()}`;
  const httpAddr = `127.0.0.1:${await freePort()}`;
  const base = `http://${httpAddr}`;
  const env = { ...process.env, RUST_LOG: "info" } as Record<string, string>;
  const services: Service[] = [];
  try {
    const bins = { repo: ctx.dir, worker, orchestrator };
    const w = await startWorker(bins, env, workerAddr, ctx.log("smoke-worker"));
    services.push(w);
    const o = await startOrchestrator(bins, env, httpAddr, workerAddr, ctx.log("smoke-orchestrator"));
    services.push(o);

    await checkGrpc(ctx.dir, workerAddr, vectors);
    await checkHttp(base, vectors);

    // Worker gone: the orchestrator must notice and fail fast, not hang.
    await stopGracefully(w, GRACE_MS);
    await waitFor("GET /readyz to return 503 once the worker stopped", o, async () => (await fetch(`${base}/readyz`)).status === 503, 15_000);
    const started = Date.now();
    const res = await post(`${base}/v1/score`, JSON.stringify(vectors[0]!.request));
    if (res.status !== 503) throw new Error(`POST /v1/score with the worker down: got ${res.status}, want 503`);
    const elapsed = Date.now() - started;
    if (elapsed > 2_000) throw new Error(`POST /v1/score with the worker down took ${elapsed} ms, want a fast 503`);

    await stopGracefully(o, GRACE_MS);
  } finally {
    killAll(services);
  }
}

async function checkGrpc(repo: string, addr: string, vectors: Vector[]) {
  const client = scoringClient(repo, addr);
  try {
    for (const v of vectors) fail(diffResponse(`${v.name} (gRPC Score)`, await client.score(v.request), v.expected));
    const batch = await client.scoreBatch({ requests: vectors.map((v) => v.request) });
    vectors.forEach((v, i) => fail(diffResponse(`${v.name} (gRPC ScoreBatch)`, batch.responses?.[i], v.expected)));
  } finally {
    client.close();
  }
}

async function checkHttp(base: string, vectors: Vector[]) {
  for (const v of vectors) {
    const res = await post(`${base}/v1/score`, JSON.stringify(v.request));
    if (res.status !== 200) throw new Error(`POST /v1/score (${v.name}): status ${res.status}: ${await res.text()}`);
    fail(diffResponse(`${v.name} (HTTP)`, await res.json(), v.expected));
  }
  const res = await post(`${base}/v1/score/batch`, JSON.stringify({ requests: vectors.map((v) => v.request) }));
  if (res.status !== 200) throw new Error(`POST /v1/score/batch: status ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { responses?: Record<string, unknown>[] };
  vectors.forEach((v, i) => fail(diffResponse(`${v.name} (HTTP batch)`, body.responses?.[i], v.expected)));

  const bad = await post(`${base}/v1/score`, '{"id": "x", ');
  if (bad.status !== 400) throw new Error(`malformed JSON: got ${bad.status}, want 400`);
}

function post(url: string, body: string) {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(10_000) });
}

function fail(message: string | undefined) {
  if (message) throw new Error(message);
}
