import { execa } from "execa";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/validate/ports.js";
import { stopGracefully, type Service } from "../../src/validate/processes.js";
import { startOrchestrator, startWorker, type ServiceBinaries } from "../../src/validate/services.js";
import { diffResponse, loadVectors, type Vector } from "../../src/validate/vectors.js";
import { tempDir } from "../helpers/cli.js";
import { sharedReleaseBuild } from "../helpers/shared-projects.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * Worker replicas and Unix sockets with real processes: two workers behind one
 * name (a comma list) under steady HTTP load, each SIGKILLed in turn with the
 * first restarted in between, lose no request and never take /readyz down;
 * a worker on unix:///path scores every test vector through the orchestrator,
 * answers its own `--probe`, and removes its socket when it stops.
 */
describe("worker replicas and unix sockets, real processes", () => {
  // The shared release build (read-only); logs go to a folder of this file's own.
  let dir = "";
  const logs = tempDir("chb-replicas-");
  const services: Service[] = [];
  let bins: ServiceBinaries;
  let vectors: Vector[];
  const worker = () => bins.workers[0]!;
  const workerEnv = { ...E2E_ENV, RUST_LOG: "warn" };

  const startScorer = async (addr: string, tag: string) => {
    const s = await startWorker(dir, worker(), workerEnv, addr, join(logs, `worker-${tag}.log`));
    services.push(s);
    return s;
  };
  const startApi = async (workerAddr: string, tag: string) => {
    const http = `127.0.0.1:${await freePort()}`;
    // Generous: this proves no request is lost, not latency on a shared machine.
    const env = { ...E2E_ENV, REQUEST_TIMEOUT: "10s" };
    services.push(await startOrchestrator(bins, env, http, [{ name: "scorer", addr: workerAddr }], join(logs, `orchestrator-${tag}.log`)));
    return `http://${http}`;
  };

  beforeAll(async () => {
    bins = await sharedReleaseBuild();
    dir = bins.repo;
    vectors = loadVectors(dir);
  });

  afterAll(async () => {
    for (const s of services.reverse()) if (!s.exited) await stopGracefully(s, 30_000).catch(() => s.proc.kill("SIGKILL"));
  });

  it("loses no request and stays ready while replicas are killed and restarted under load", async () => {
    const addrA = `127.0.0.1:${await freePort()}`;
    const addrB = `127.0.0.1:${await freePort()}`;
    let a = await startScorer(addrA, "a1");
    const b = await startScorer(addrB, "b");
    const base = await startApi(`${addrA},${addrB}`, "replicas");
    const body = JSON.stringify(vectors[0]!.request);

    const load = { sent: 0, failed: 0, firstFailure: "" };
    const ready = { probes: 0, failed: 0, firstFailure: "" };
    let running = true;
    const loop = async () => {
      while (running) {
        load.sent++;
        const res = await post(`${base}/v1/score`, body).catch((e: Error) => ({ status: 0, text: String(e) }));
        if (res.status !== 200) {
          load.failed++;
          load.firstFailure ||= `${res.status} ${res.text.slice(0, 200)}`;
        }
      }
    };
    const pollReady = async () => {
      while (running) {
        ready.probes++;
        const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) })
          .then(async (r) => ({ status: r.status, text: await r.text() }))
          .catch((e: Error) => ({ status: 0, text: String(e) }));
        if (res.status !== 200) {
          ready.failed++;
          ready.firstFailure ||= `${res.status} ${res.text.slice(0, 200)}`;
        }
        await sleep(50);
      }
    };
    const started = Date.now();
    const at = (ms: number) => sleep(Math.max(0, started + ms - Date.now()));
    const loops = [...Array.from({ length: 20 }, loop), pollReady()];

    // A dies; B carries the load. A comes back on its port; once the orchestrator's
    // reconnect backoff (at most 5 s + 20 % jitter) has surely found it, B dies: only a
    // restarted replica back in rotation can carry the rest.
    await at(3_000);
    a.proc.kill("SIGKILL");
    await at(5_000);
    a = await startScorer(addrA, "a2");
    await at(12_500);
    b.proc.kill("SIGKILL");
    await at(16_000);
    running = false;
    await Promise.all(loops);

    console.log(`replicas: ${load.sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s at concurrency 20, ${load.failed} failed; /readyz polled ${ready.probes} times, ${ready.failed} not 200`);
    expect(load.failed, load.firstFailure).toBe(0);
    expect(ready.failed, ready.firstFailure).toBe(0);
    expect(load.sent).toBeGreaterThan(100);
  }, 120_000);

  it("serves on a unix socket: every vector scores, --probe answers, the socket goes at stop", async () => {
    const socket = join(tempDir("chb-uds-"), "scorer.sock");
    const udsAddr = `unix://${socket}`;
    const w = await startScorer(udsAddr, "uds");
    expect(statSync(socket).mode & 0o777).toBe(0o660);
    const probe = () => execa(worker().bin, ["--probe"], { env: { ...workerEnv, LISTEN_ADDR: udsAddr }, reject: false });
    const serving = await probe();
    expect(serving.exitCode, serving.stderr).toBe(0);

    const overUds = await startApi(udsAddr, "uds");
    for (const v of vectors) {
      const res = await post(`${overUds}/v1/score`, JSON.stringify(v.request));
      expect(res.status, res.text).toBe(200);
      expect(diffResponse(`${v.name} over a unix socket`, JSON.parse(res.text), v.expected)).toBeUndefined();
    }

    // The same requests end to end over TCP and over the socket, for the report.
    const tcpAddr = `127.0.0.1:${await freePort()}`;
    await startScorer(tcpAddr, "tcp");
    const overTcp = await startApi(tcpAddr, "tcp");
    const body = JSON.stringify(vectors[0]!.request);
    for (const [name, base] of [["tcp", overTcp], ["uds", overUds], ["tcp", overTcp], ["uds", overUds]] as const) {
      const ms = await latencies(`${base}/v1/score`, body, 1_000);
      console.log(`e2e HTTP→gRPC over ${name}: p50 ${pct(ms, 50)} ms, p99 ${pct(ms, 99)} ms (1000 sequential requests)`);
    }

    await stopGracefully(w, 30_000);
    expect(existsSync(socket)).toBe(false);
    const stopped = await probe();
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stderr).toContain(udsAddr);
  }, 120_000);
});

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, text: await res.text() };
}

async function latencies(url: string, body: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await post(url, body);
    if (res.status !== 200) throw new Error(`POST ${url}: ${res.status} ${res.text}`);
    ms.push(performance.now() - t);
  }
  return ms.sort((x, y) => x - y);
}

function pct(sorted: number[], p: number): string {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!.toFixed(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
