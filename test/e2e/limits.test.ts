import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/validate/ports.js";
import { startService, stopGracefully, type Service } from "../../src/validate/processes.js";
import { startOrchestrator, startWorker, type ServiceBinaries } from "../../src/validate/services.js";
import { tempDir } from "../helpers/cli.js";
import { sharedReleaseBuild } from "../helpers/shared-projects.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * The contract's limits and the HTTP error mapping against the real Rust
 * worker (the orchestrator's Go tests only have a grpc-go fake, which answers
 * timeouts and oversized messages differently from tonic): a full batch
 * scores, the largest message the rules allow reaches the worker and scores,
 * oversized bodies get 413 naming the limit, rule violations 400 naming the
 * field, timeouts 504 (tonic answers CANCELLED), calls the worker sheds 429
 * with Retry-After, and a body limit above the contract's ceiling is refused
 * at start-up.
 */
describe("limits and error mapping, real worker", () => {
  // The shared release build (read-only); logs go to a folder of this file's own.
  let dir = "";
  const logs = tempDir("chb-limits-");
  const services: Service[] = [];
  let bins: ServiceBinaries;
  let workerAddr = "";

  const orchestrator = async (env: Record<string, string>, tag: string, addr = workerAddr) => {
    const http = `127.0.0.1:${await freePort()}`;
    const worker = { name: "scorer", addr };
    services.push(await startOrchestrator(bins, { ...E2E_ENV, ...env }, http, [worker], join(logs, `orchestrator-${tag}.log`)));
    return `http://${http}`;
  };
  /**
   * A worker of a test's own: the shared one may still be working through
   * another test's abandoned calls, and sheds what arrives meanwhile.
   */
  const ownWorker = async (env: Record<string, string>, tag: string) => {
    const addr = `127.0.0.1:${await freePort()}`;
    services.push(await startWorker(dir, bins.workers[0]!, { ...E2E_ENV, RUST_LOG: "warn", ...env }, addr, join(logs, `worker-${tag}.log`)));
    return addr;
  };
  // An in-flight budget the worker never reaches: every call it gets is scored, never shed.
  const NEVER_SHEDS = { MAX_IN_FLIGHT: "1000000" };

  beforeAll(async () => {
    bins = await sharedReleaseBuild();
    dir = bins.repo;
    workerAddr = await ownWorker({}, "shared");
  });

  afterAll(async () => {
    for (const s of services.reverse()) if (!s.exited) await stopGracefully(s, 30_000).catch(() => s.proc.kill("SIGKILL"));
  });

  it("scores the largest batch the contract allows, and the largest message", async () => {
    const base = await orchestrator({ REQUEST_TIMEOUT: "60s" }, "default");
    // 1000 requests × 64 + 64 features, names and values at their length limits.
    const full = batch(1000, (i) => `r${i}`, (f) => `numeric_feature_${f}`.padEnd(32, "x"), (f) => `categorical_${f}`.padEnd(32, "x"), "v".repeat(64));
    const started = performance.now();
    const res = await post(base, "/v1/score/batch", full);
    const ms = performance.now() - started;
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const ids = (JSON.parse(res.text).responses as { id: string }[]).map((r) => r.id);
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => `r${i}`));
    console.log(`full batch: ${full.length} bytes of JSON scored end to end in ${ms.toFixed(0)} ms`);

    // The same in 4-byte characters: its protobuf is the decode limit both sides derive, less the 2 bytes of itemResults.
    const wide = (i: number, n: number) => String.fromCodePoint(0x10000 + i) + "😀".repeat(n - 1);
    const largest = batch(1000, (i) => wide(i, 128), (f) => wide(f, 32), (f) => wide(f, 32), "😀".repeat(64));
    const big = await post(base, "/v1/score/batch", largest);
    expect(big.status, big.text.slice(0, 300)).toBe(200);
    expect(JSON.parse(big.text).responses).toHaveLength(1000);
  });

  it("answers 413 naming the limit and 400 naming the field, never a worker error", async () => {
    const base = await orchestrator({}, "bad-input");
    const tooBig = await post(base, "/v1/score", `{"id":"${"x".repeat(80_000)}"}`);
    expect(tooBig.status).toBe(413);
    expect(JSON.parse(tooBig.text).error.message).toMatch(/exceeds \d+ bytes, the limit for a ScoreRequest/);

    // A 900 KB feature name: over a single request's body limit, and a rule broken in a batch.
    const name = "n".repeat(900_000);
    expect((await post(base, "/v1/score", JSON.stringify({ id: "a", numericFeatures: { [name]: 1 } }))).status).toBe(413);
    const hugeName = await post(base, "/v1/score/batch", JSON.stringify({ requests: [{ id: "a", numericFeatures: { [name]: 1 } }] }));
    expect(hugeName.status, hugeName.text.slice(0, 300)).toBe(400);
    expect(JSON.parse(hugeName.text).error).toEqual({
      code: "invalid_argument",
      field: `requests[0].numeric_features["${"n".repeat(40)}"...]`,
      message: `requests[0].numeric_features["${"n".repeat(40)}"...]: key must be at most 32 characters`,
    });

    // The fault this file was written for: 20 MiB in one value, once 502 from the worker's size limit.
    const huge = await post(base, "/v1/score", JSON.stringify({ id: "big", categoricalFeatures: { note: "x".repeat(20 << 20) } }));
    expect(huge.status, huge.text.slice(0, 300)).toBe(413);
    const hugeBatch = await post(base, "/v1/score/batch", JSON.stringify({ requests: [{ id: "big", categoricalFeatures: { note: "x".repeat(20 << 20) } }] }));
    expect(hugeBatch.status, hugeBatch.text.slice(0, 300)).toBe(400);
    expect(JSON.parse(hugeBatch.text).error).toMatchObject({ field: 'requests[0].categorical_features["note"]', message: expect.stringContaining("must be at most 64 characters") });

    const tooMany = await post(base, "/v1/score/batch", batch(1001, (i) => `r${i}`, (f) => `n${f}`, (f) => `c${f}`, "v"));
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.text).error.message).toBe("requests: must have at most 1000 items");
  });

  it("maps the worker's timeouts to 504, not 502", async () => {
    // A budget for every batch at once, in the orchestrator and in a worker of its own, so all
    // of them reach the worker and time out there rather than being refused 429 by either
    // budget (calls that overlap at a worker with the default budget are shed, timing decides
    // how many).
    const worker = await ownWorker(NEVER_SHEDS, "timeout");
    const base = await orchestrator({ REQUEST_TIMEOUT: "25ms", MAX_IN_FLIGHT_BYTES: String(1 << 30) }, "timeout", worker);
    // 1000 requests × 64 numeric features (1.4 MB), the shape that once got 502s.
    const full = JSON.stringify({
      requests: Array.from({ length: 1000 }, (_, i) => ({
        id: `r${i}`,
        numericFeatures: Object.fromEntries(Array.from({ length: 64 }, (_, f) => [`feature_${f}`, 1234.5678])),
      })),
    });
    const statuses = await Promise.all(Array.from({ length: 30 }, () => post(base, "/v1/score/batch", full).then((r) => r.status)));
    const counts = Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]));
    expect(Object.keys(counts).every((s) => s === "200" || s === "504"), JSON.stringify(counts)).toBe(true);
    expect(counts[504] ?? 0, JSON.stringify(counts)).toBeGreaterThan(0);
  });

  it("answers 429 with Retry-After when the worker sheds a call, never a 5xx", async () => {
    // A worker with one in-flight permit: concurrent full batches overlap, and all but the
    // one it holds are shed (RESOURCE_EXHAUSTED) before they are decoded.
    const shedding = await ownWorker({ MAX_IN_FLIGHT: "1" }, "shedding");
    // The orchestrator's own in-flight budget as large as it goes, so the worker is the one that
    // sheds (its adaptive limit starts at the budget and falls at most a tenth per answer).
    const base = await orchestrator({ REQUEST_TIMEOUT: "30s", MAX_IN_FLIGHT_BYTES: String(1 << 30) }, "shedding", shedding);
    const full = batch(1000, (i) => `r${i}`, (f) => `n${f}`, (f) => `c${f}`, "v");
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(`${base}/v1/score/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: full });
        return { status: res.status, retryAfter: res.headers.get("retry-after"), text: await res.text() };
      }),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 429), JSON.stringify(statuses)).toBe(true);
    const shed = answers.filter((a) => a.status === 429);
    expect(shed.length, JSON.stringify(statuses)).toBeGreaterThan(0);
    for (const a of shed) {
      expect(a.retryAfter).toBe("1");
      expect(JSON.parse(a.text).error).toMatchObject({ code: "resource_exhausted", message: expect.stringMatching(/^scoring worker \S+ is at capacity/) });
    }

    // The admitted work ran below the threads that refuse (the worker's priority.rs): the rayon
    // pool and the pool that decoded the full batches ("admitted", idle for 10 s before its
    // threads exit) at nice 10; the runtime's own threads, its blocking pool included, at nice 0.
    const threads = niceByThread(services.at(-2)!.proc.pid!);
    const cpu = threads.filter((t) => t.name.startsWith("scorer-cpu-"));
    const admitted = threads.filter((t) => t.name === "admitted");
    const io = threads.filter((t) => t.name === "scorer-io");
    expect(cpu.length, JSON.stringify(threads)).toBeGreaterThan(0);
    expect(cpu.every((t) => t.nice === 10), JSON.stringify(cpu)).toBe(true);
    expect(admitted.length, JSON.stringify(threads)).toBeGreaterThan(0);
    expect(admitted.every((t) => t.nice === 10), JSON.stringify(admitted)).toBe(true);
    expect(io.length, JSON.stringify(threads)).toBeGreaterThan(0);
    expect(io.every((t) => t.nice === 0), JSON.stringify(io)).toBe(true);
  });

  it("answers 429 itself, before decoding, past its in-flight budget", async () => {
    // Room for one full batch's JSON at a time: concurrent ones past it are refused undecoded.
    // The worker never sheds, so every 429 here is the orchestrator's own.
    const full = batch(1000, (i) => `r${i}`, (f) => `n${f}`, (f) => `c${f}`, "v");
    const worker = await ownWorker(NEVER_SHEDS, "in-flight");
    const base = await orchestrator({ REQUEST_TIMEOUT: "30s", MAX_IN_FLIGHT_BYTES: String(Buffer.byteLength(full)) }, "in-flight", worker);
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const res = await fetch(`${base}/v1/score/batch`, { method: "POST", headers: { "content-type": "application/json" }, body: full });
        return { status: res.status, retryAfter: res.headers.get("retry-after"), text: await res.text() };
      }),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 429), JSON.stringify(statuses)).toBe(true);
    expect(statuses.filter((s) => s === 200).length, JSON.stringify(statuses)).toBeGreaterThan(0);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length, JSON.stringify(statuses)).toBeGreaterThan(0);
    for (const a of refused) {
      expect(a.retryAfter).toBe("1");
      expect(JSON.parse(a.text).error).toMatchObject({ code: "resource_exhausted", message: expect.stringContaining("orchestrator is at capacity") });
    }
    // The adaptive limit is on /metrics, within the budget and at least its floor (256 KiB per
    // core, so at least one core's).
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const limit = Number(/^orchestrator_admission_limit_bytes (\S+)$/m.exec(metrics)?.[1]);
    expect(limit, metrics.slice(0, 2000)).toBeGreaterThanOrEqual(256 << 10);
    expect(limit, metrics.slice(0, 2000)).toBeLessThanOrEqual(Buffer.byteLength(full));
  });

  it("refuses a body limit above the contract's ceiling at start-up", async () => {
    const http = `127.0.0.1:${await freePort()}`;
    const log = join(logs, "orchestrator-refused.log");
    const o = startService("orchestrator", bins.orchestrator, {
      cwd: join(dir, "orchestrator"),
      env: { ...E2E_ENV, MAX_BODY_BYTES: String(1 << 30), LISTEN_ADDR: http, WORKER_SCORER_ADDR: workerAddr },
      log,
    });
    const result = await o.proc;
    expect(result.exitCode).not.toBe(0);
    await o.logged;
    expect(readFileSync(log, "utf8")).toMatch(/MAX_BODY_BYTES=\\?"1073741824\\?": want a number of bytes from 1 to \d+/);
  });
});

/** A ScoreBatchRequest in protojson: n requests, each with 64 numeric and 64 categorical features. */
function batch(n: number, id: (i: number) => string, numeric: (f: number) => string, categorical: (f: number) => string, value: string): string {
  const names = Array.from({ length: 64 }, (_, f) => f);
  const one = (i: number) => ({
    id: id(i),
    numericFeatures: Object.fromEntries(names.map((f) => [numeric(f), -1.7976931348623157e308])),
    categoricalFeatures: Object.fromEntries(names.map((f) => [categorical(f), value])),
  });
  return JSON.stringify({ requests: Array.from({ length: n }, (_, i) => one(i)) });
}

async function post(base: string, path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, text: await res.text() };
}

/** Each thread of a process: its name and nice value (/proc/PID/task/TID/stat, field 19). */
function niceByThread(pid: number): { name: string; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    // The name is in parentheses and may hold spaces: count fields after its closing one.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    return { name: stat.slice(stat.indexOf("(") + 1, close), nice: Number(fields[16]) };
  });
}
