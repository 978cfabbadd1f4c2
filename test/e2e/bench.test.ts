import { execa } from "execa";
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { serviceResources } from "../../src/render/resources.js";
import { sharedReleaseBuild } from "../helpers/shared-projects.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * The generated repo's `make bench` with short phases: every figure lands in
 * bench/results.json (the overload row and the verdict included) and the chart
 * is well-formed SVG. The figures' values
 * are the machine's business; only their presence and the absence of errors
 * are asserted here.
 */
it("runs make bench in the default preset and reports every figure", async () => {
  // The default project limits and replicas run too, built once per run: make bench's own
  // `make build` finds it built, and writes only bench/ and bin/.
  const dir = (await sharedReleaseBuild()).repo;

  const bench = await execa("make", ["bench"], {
    cwd: dir,
    env: { ...E2E_ENV, BENCH_DURATION: "300ms", BENCH_RUNS: "1", BENCH_RATE: "500" },
    reject: false,
    stdin: "ignore",
    all: true,
  });
  expect(bench.exitCode, bench.all).toBe(0);
  expect(bench.stdout).toContain("targets");

  const r = JSON.parse(readFileSync(join(dir, "bench", "results.json"), "utf8"));
  for (const [name, f] of [["score", r.direct_grpc.score], ["batch", r.direct_grpc.score_batch], ["e2e", r.e2e_http], ["e2e batch", r.e2e_http_batch], ["http floor", r.http_floor]]) {
    expect(f.fixed_concurrency.requests_per_s, name).toBeGreaterThan(0);
    expect(f.fixed_concurrency.errors, name).toBe(0);
    // Refusals a closed-loop sender backed off from are counted apart from errors.
    expect(Number.isInteger(f.fixed_concurrency.shed), name).toBe(true);
    expect(f.fixed_rate.errors, name).toBe(0);
    expect(f.fixed_rate.achieved_per_s, name).toBeGreaterThan(0);
    for (const p of ["p50_ms", "p90_ms", "p99_ms", "max_ms"]) expect(f.fixed_rate[p], `${name} ${p}`).toBeGreaterThan(0);
  }
  expect(r.e2e_http.fixed_concurrency.cpu_us_per_request.orchestrator).toBeGreaterThanOrEqual(0);
  expect(r.noop_floor.p99_ms).toBeGreaterThan(0);
  // The bare net/http server's CPU was read apart from loadgen's, and the e2e ceiling follows
  // from the same run's figures: direct CPU / (floor CPU + the worker's e2e CPU).
  expect(r.http_floor.fixed_concurrency.cpu_us_per_request["http-floor"]).toBeGreaterThan(0);
  const c = r.e2e_ceiling;
  expect(c.ceiling).toBeCloseTo(c.direct_cpu_us_per_request / (c.http_floor_cpu_us_per_request + c.e2e_worker_cpu_us_per_request), 2);
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/\n  HTTP floor, no work +loadgen +[\d.]+ +http-floor +[\d.]+ +total +[\d.]+\n  e2e \/ direct throughput can reach at most [\d.]+ on these cores/);
  // The projection to each service on a core of its own (bottleneck law), from the same CPU figures.
  const cpu = (f: { fixed_concurrency: { cpu_us_per_request: Record<string, number> } }, name: string) => f.fixed_concurrency.cpu_us_per_request[name] ?? Number.NaN;
  const p = r.own_cores_projection;
  expect(p.e2e_vs_direct).toBeCloseTo(cpu(r.direct_grpc.score, "worker") / Math.max(cpu(r.e2e_http, "orchestrator"), cpu(r.e2e_http, "worker")), 2);
  expect(["orchestrator", "worker"]).toContain(p.e2e_bottleneck);
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/\n  with each service on a core of its own[^\n]*\n    direct \d+ req\/s, e2e \d+ req\/s = [\d.]+ of direct/);
  for (const svc of ["worker", "orchestrator"] as const) {
    expect(r.memory_kb[svc].idle, svc).toBeGreaterThan(0);
    expect(r.memory_kb[svc].load_peak, svc).toBeGreaterThanOrEqual(r.memory_kb[svc].idle);
    // The deployment's memory request is derived from BENCH's peaks (src/render/resources.ts):
    // a service whose peak under this load outgrew it has drifted from the figures the cluster
    // manifests were sized by (and, its memory limit being that request, would be OOMKilled).
    const requestMiB = Number.parseInt(serviceResources(svc).requests.memory, 10);
    expect(r.memory_kb[svc].load_peak / 1024, `${svc} peak RSS under load, MiB, vs its memory request`).toBeLessThanOrEqual(requestMiB);
  }
  for (const lang of ["go", "rust"]) {
    expect(r.model_per_core[lang].single_per_s, lang).toBeGreaterThan(0);
    expect(r.model_per_core[lang].batch_items_per_s, lang).toBeGreaterThan(0);
    // Both sides score the shipped model with its compiled trees, and the walk is timed too.
    expect(r.model_per_core[lang].compiled, lang).toBe(true);
    expect(r.model_per_core[lang].interpreted_batch_items_per_s, lang).toBeGreaterThan(0);
  }
  expect(r.model_per_core.pair).toBe("compiled trees, both");
  // One round of each language in turn (BENCH_RUNS of them), each its own file.
  for (const f of ["rust-model-1.json", "go-model-1.json"]) expect(existsSync(join(dir, "bench", f)), f).toBe(true);
  expect(r.model_per_core.rust_over_go_batch_interpreted).toBeGreaterThan(0);
  // Twelve figures, and the worker connections refused at its cap (none).
  const targetNames = r.targets.map((t: { name: string }) => t.name);
  expect(new Set(targetNames).size, targetNames.join("; ")).toBe(13);

  // Model load memory: the worker's own model_memory test measured it, in fresh processes,
  // and its limits judge both rows; the caps hold on any machine, so both are met.
  const mm = r.model_load_memory;
  expect(mm.files.map((f: { file: string }) => f.file)).toEqual(["hostile", "1x", "2x", "4x"]);
  expect(mm.files.map((f: { loaded: boolean }) => f.loaded)).toEqual([false, true, true, true]);
  for (const f of mm.files) expect(f.peak_kib, JSON.stringify(f)).toBeGreaterThan(0);
  expect(mm.growth).toBeLessThanOrEqual(mm.growth_limit);
  for (const name of ["model load memory refusing hostile, B/byte", "model load memory per byte, growth with size"]) {
    expect(r.targets).toContainEqual(expect.objectContaining({ name, met: true }));
  }
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/\nmodel load memory, a fresh process loading one file \(caps: depth \d+, \d+ nodes a tree\)\n[^\n]*\n  hostile [^\n]* refused\n/);

  // The overload row: each run measures ScoreBatch's peak at fixed concurrency, then drives it
  // open loop at twice that. Whether its targets are met is the machine's business; that it
  // overloaded the worker (calls were shed) and measured each figure is not. Goodput is the
  // median of each run's own ratio (a peak from an earlier phase once put it at 1.84).
  const o = r.overload;
  expect(o.rate_per_s).toBeCloseTo(2 * o.peak_calls_per_s, 1);
  expectPairedGoodput(o, r.settings.runs);
  expect(o.shed, JSON.stringify(o)).toBeGreaterThan(0);
  expect(o.shed_p99_ms, JSON.stringify(o)).toBeGreaterThan(0);
  expect(o.accepted_p99_ms, JSON.stringify(o)).toBeGreaterThan(0);
  expect(o.accepted_p99_vs_unloaded, JSON.stringify(o)).toBeGreaterThan(0);
  expect(o.errors, o.first_error).toBe(0);
  expect(o.cores_busy.worker).toBeGreaterThan(0);
  expect(o.machine_cores_busy).toBeGreaterThan(0);
  // The worker's own timing of its refusals, read from its /metrics: it saw the shed calls
  // (the counts differ only by calls loadgen gave up on), at a p99 of its own.
  expect(o.shed_answer).toBe("RESOURCE_EXHAUSTED");
  expect(o.worker_shed_note, JSON.stringify(o)).toBeUndefined();
  expect(o.worker_shed_calls, JSON.stringify(o)).toBeGreaterThan(0.9 * o.shed);
  // The worker's count holds the shed probe's refusals too.
  expect(o.worker_shed_calls, JSON.stringify(o)).toBeLessThanOrEqual(o.shed + o.shed_probe.shed);
  expect(o.worker_shed_p99_ms, JSON.stringify(o)).toBeGreaterThan(0);
  expect(o.worker_shed_mean_ms, JSON.stringify(o)).toBeGreaterThan(0);
  // The shed probe, a client in a process of its own beside each run, was refused too, and
  // timed its refusals: the figure the shed latency target reads.
  const probe = o.shed_probe;
  expect(probe, JSON.stringify(o)).toMatchObject({ rate_per_s: 200, errors: 0 });
  expect(probe.note, JSON.stringify(probe)).toBeUndefined();
  expect(probe.shed, JSON.stringify(probe)).toBeGreaterThan(0);
  expect(probe.shed_p99_ms, JSON.stringify(probe)).toBeGreaterThanOrEqual(probe.shed_p50_ms);
  expect(probe.shed_p50_ms, JSON.stringify(probe)).toBeGreaterThan(0);
  expect(r.targets).toContainEqual(expect.objectContaining({ name: "shed latency p99 at 2x saturation, ms (probe client)", value: probe.shed_p99_ms }));

  // The same through the orchestrator's batch route: the worker's refusals come back as 429.
  const h = r.overload_http;
  expect(h.call).toMatch(/^HTTP POST \/v1\/score\/batch x100$/);
  expect(h.shed_answer).toBe("429");
  expect(h.rate_per_s).toBeCloseTo(2 * h.peak_calls_per_s, 1);
  expectPairedGoodput(h, r.settings.runs);
  expect(h.accepted_p99_vs_unloaded, JSON.stringify(h)).toBeGreaterThan(0);
  // Calls whose deadline passed while the worker was overloaded (504) are counted apart; no other errors.
  expect(Number.isInteger(h.timed_out), JSON.stringify(h)).toBe(true);
  expect(h.errors, h.first_error).toBe(0);
  expect(h.cores_busy.orchestrator, JSON.stringify(h)).toBeGreaterThan(0);
  if (h.shed > 0) expect(h.shed_p99_ms, JSON.stringify(h)).toBeGreaterThan(0);
  console.log(`overload: gRPC goodput ${o.goodput_vs_peak}, shed p99 ${o.shed_probe.shed_p99_ms} ms (probe; loadgen ${o.shed_p99_ms} ms, worker ${o.worker_shed_p99_ms} ms), accepted ${o.accepted_p99_vs_unloaded}x; HTTP goodput ${h.goodput_vs_peak}, 429 p99 ${h.shed_p99_ms} ms (${h.shed} shed), accepted ${h.accepted_p99_vs_unloaded}x`);
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/\noverload: gRPC ScoreBatch[\s\S]*shed probe \(a client in a process of its own[\s\S]*the worker's own time to refuse[\s\S]*\noverload: HTTP POST \/v1\/score\/batch x100[\s\S]*answered 429/);
  for (const name of ["goodput at 2x saturation / peak", "shed latency p99 at 2x saturation, ms (probe client)", "accepted p99 at 2x saturation / unloaded p99"]) {
    expect(r.targets.map((t: { name: string }) => t.name)).toContain(name);
  }

  // The burst of full batches straight at the worker: every call scored or shed, none timed out
  // (overload.test.ts drives the same row on its own; here it runs inside make bench).
  const b = r.burst;
  expect(b, JSON.stringify(b)).toMatchObject({ clients: 200, batches_per_client: 3, timed_out: 0, errors: 0 });
  expect(b.accepted + b.shed).toBe(600);
  expect(b.accepted, JSON.stringify(b)).toBeGreaterThan(0);
  expect(b.worker_shed_calls, JSON.stringify(b)).toBe(b.shed);
  expect(r.targets).toContainEqual(expect.objectContaining({ name: "burst: calls neither scored nor shed", value: 0, met: true }));
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/\nburst: 200 clients x 3 ScoreBatch calls of 1000 items[^\n]*\n[^\n]*, 0 timed out, 0 other errors\n/);

  // The worker's connection cap, read from its /metrics before the first call and after the
  // last: the whole run, burst included, stayed under it, and the report says so.
  expect(r.worker_grpc_connections, JSON.stringify(r.worker_grpc_connections)).toEqual({ refused: 0 });
  expect(r.targets).toContainEqual(expect.objectContaining({ name: "worker gRPC connections refused at its cap", value: 0, met: true }));
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/\nworker gRPC connections refused at its cap \(worker_grpc_connections_refused_total\): none\n/);

  // The verdict: the hop over both transports, scoring per item, break-even, CPU saved or lost.
  const v = r.verdict;
  expect(v.note, JSON.stringify(v)).toBeUndefined();
  expect(v.hop_per_call.map((h: { transport: string }) => h.transport)).toEqual(["tcp", "uds"]);
  for (const h of v.hop_per_call) {
    expect(h.cpu_us, h.transport).toBeGreaterThan(0);
    expect(h.p50_ms, h.transport).toBeGreaterThan(0);
  }
  for (const k of ["rust_score_us_per_item_single", "rust_score_us_per_item_batch", "go_score_us_per_item_single", "go_score_us_per_item_batch"]) {
    expect(v[k], k).toBeGreaterThan(0);
  }
  expect(Number.isInteger(v.break_even_batch_size) && v.break_even_batch_size >= 0).toBe(true);
  expect(Number.isFinite(v.cpu_us_saved_per_request_single) && Number.isFinite(v.cpu_us_saved_per_request_batch)).toBe(true);
  // Batches are priced with the generated client, which encodes each request and decodes each
  // answer as the orchestrator's does, not with the throughput row's batch encoded once, and the
  // verdict's batch figure is made from it. Which of the two costs the client more CPU is a
  // measurement, not asserted: on a busy machine (the unit project runs beside this one) the
  // pre-encoded phase has been seen to cost more (314 against 268 µs per call).
  const viaClient = { fixed_concurrency: r.direct_grpc.score_batch_generated_client };
  expect(viaClient.fixed_concurrency.errors).toBe(0);
  expect(r.direct_grpc.score_batch_generated_client.fixed_rate).toBeUndefined();
  expect(cpu(viaClient, "loadgen")).toBeGreaterThan(0);
  const batchCPU = cpu(viaClient, "loadgen") + cpu(viaClient, "worker");
  expect(v.cpu_us_saved_per_request_batch).toBeCloseTo(1e6 / r.model_per_core.go.batch_items_per_s - batchCPU / r.settings.batch_size, 1);
  // make bench ends with it, and bench/verdict.md puts it beside the latency chart.
  expect(bench.stdout).toMatch(/\noverload: gRPC ScoreBatch[\s\S]*\ntargets\n[\s\S]*\nverdict [\s\S]*break-even batch size[\s\S]*CPU per request[^\n]*\n-+\s*$/);
  const md = readFileSync(join(dir, "bench", "verdict.md"), "utf8");
  expect(md).toContain("](latency.svg)");
  expect(md).toContain("](verdict.svg)");
  const chart = readFileSync(join(dir, "bench", "verdict.svg"), "utf8");
  expect(chart).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>[\s\S]*Rust hop, 1 item per call[\s\S]*HTTP server: grpc-gateway[\s\S]*<\/svg>\n$/);
  expect(md).toMatch(/hop per call over tcp:[\s\S]*hop per call over uds:/);

  // The HTTP preset's tracing overhead row: off, 1% and always_on, exporting to loadgen's OTLP sink.
  const tracing = r.tracing_overhead;
  expect(tracing.map((t: { variant: string }) => t.variant)).toEqual(["off", "sampled", "always"]);
  for (const t of tracing) {
    expect(t.max_requests_per_s, t.variant).toBeGreaterThan(0);
    expect(t.p50_ms, t.variant).toBeGreaterThan(0);
    expect(t.p99_ms, t.variant).toBeGreaterThan(0);
    expect(t.cpu_us_per_request, t.variant).toBeGreaterThan(0);
    expect(t.errors, t.variant).toBe(0);
    expect(t.max_requests_per_s_vs_off, t.variant).toBeGreaterThan(0);
  }
  expect(tracing[0].otlp_sink.export_requests).toBe(0);
  expect(tracing[0].cpu_per_request_vs_off).toBe(1);
  // always_on fills the batch processor's 512-span batches within a phase: the sink received them.
  expect(tracing[2].otlp_sink.export_requests).toBeGreaterThan(0);
  expect(tracing[2].otlp_sink.bytes).toBeGreaterThan(0);
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/tracing overhead[\s\S]*\n  off [\s\S]*\n  sampled [\s\S]*\n  always /);

  // The coalescing comparison: COALESCE=off then on, single requests through HTTP. Off, every
  // request is its own worker call; on, concurrent requests shared calls (more than one per call).
  const coalescing = r.coalescing;
  expect(coalescing.map((c: { variant: string }) => c.variant)).toEqual(["off", "on"]);
  for (const c of coalescing) {
    expect(c.max_requests_per_s, c.variant).toBeGreaterThan(0);
    expect(c.errors, c.variant).toBe(0);
  }
  expect(coalescing[0].mean_requests_per_worker_call).toBe(1);
  expect(coalescing[1].mean_requests_per_worker_call).toBeGreaterThan(1);
  console.log(`coalescing: off ${coalescing[0].max_requests_per_s} req/s, on ${coalescing[1].max_requests_per_s} req/s (x${coalescing[1].max_requests_per_s_vs_off}), ${coalescing[1].mean_requests_per_worker_call} requests per call`);
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/coalescing[\s\S]*\n  off [\s\S]*\n  on /);

  // The grpc-gateway comparison: the same POST /v1/score through the orchestrator (coalescing
  // on, then off) and through cmd/gateway, a grpc-gateway proxy generated from the contract.
  // Every server answered every request, and each one's CPU per request was measured.
  const gateway = r.grpc_gateway;
  expect(gateway.map((g: { variant: string }) => g.variant)).toEqual(["orchestrator-coalesce-on", "grpc-gateway", "orchestrator-coalesce-off"]);
  for (const g of gateway) {
    expect(g.requests, g.variant).toBeGreaterThan(0);
    expect(g.errors, g.variant).toBe(0);
    expect(g.requests_per_s, g.variant).toBeGreaterThan(0);
    expect(g.server_cpu_us_per_request, g.variant).toBeGreaterThan(0);
    expect(g.worker_cpu_us_per_request, g.variant).toBeGreaterThan(0);
  }
  expect(gateway[1].server_cpu_vs_grpc_gateway).toBe(1);
  const check = r.targets.find((t: { name: string }) => /gateway/i.test(t.name));
  expect(check, JSON.stringify(r.targets)).toMatchObject({ name: "orchestrator / grpc-gateway CPU per request", target: "<= 1.0" });
  expect(check.value).toBeCloseTo(gateway[0].server_cpu_us_per_request / gateway[1].server_cpu_us_per_request, 2);
  console.log(`grpc-gateway: orchestrator ${gateway[0].server_cpu_us_per_request} us/req (coalescing on), ${gateway[2].server_cpu_us_per_request} (off), gateway ${gateway[1].server_cpu_us_per_request}`);
  expect(readFileSync(join(dir, "bench", "summary.txt"), "utf8")).toMatch(/orchestrator vs grpc-gateway[\s\S]*\n  orchestrator-coalesce-on [\s\S]*\n  grpc-gateway [\s\S]*\n  orchestrator-coalesce-off /);

  expect(existsSync(join(dir, "bench", "summary.txt"))).toBe(true);
  expectWellFormedSvg(readFileSync(join(dir, "bench", "latency.svg"), "utf8"));
});

it("names a service that died, with its exit status and log, instead of waiting for it to be ready", async () => {
  // A worker that cannot start: its model file does not exist. Without the liveness checks the
  // first phase waited a minute for /readyz and reported only "not ready after 1m0s: 503".
  const dir = (await sharedReleaseBuild()).repo;
  const missing = join(dir, "no-such-model.json");
  const bench = await execa("make", ["bench"], {
    cwd: dir,
    // Pinned (BENCH_PIN=1), so the pinned command lines run too: the model rounds and the
    // service starts (scripts/pinning.sh; test/unit/script-pinning.test.ts checks the plan).
    // The scorer's own model (make bench, as make run, refuses one MODEL_PATH for every worker).
    env: { ...E2E_ENV, BENCH_DURATION: "300ms", BENCH_RUNS: "1", WORKER_SCORER_MODEL_PATH: missing, BENCH_PIN: "1" },
    reject: false,
    stdin: "ignore",
    all: true,
  });
  expect(bench.exitCode, bench.all).not.toBe(0);
  expect(bench.stderr).toMatch(availableParallelism() >= 2 ? /(^|\n)bench: pinned: / : /(^|\n)bench: not pinned: /);
  // The orchestrator answered 503, or was not listening yet: either way the wait ends at once.
  expect(bench.stderr).toMatch(/\/readyz not ready: worker \(pid \d+\) has exited \(last answer: /);
  expect(bench.stderr).not.toMatch(/not ready after|Killed/);
  // The script's exit names the process and shows the end of its log, which says why.
  const [, log] = /\nscorer \(pid \d+\) exited with status [1-9]\d*; the end of (bench\/scorer-tracing-off-1\.log):\n/.exec(bench.stderr) ?? [];
  expect(log, bench.stderr).toBeDefined();
  expect(bench.stderr).toContain(missing);
  expect(readFileSync(join(dir, log!), "utf8")).toContain(missing);
});

/** Tags balance, entities are escaped, the root is <svg> with its namespace: enough XML to trust a browser with it. */
function expectWellFormedSvg(svg: string): void {
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
  expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;|#\d+;)/);
  const open: string[] = [];
  for (const [, close, name, , selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    if (close) expect(open.pop(), `</${name}>`).toBe(name);
    else if (!selfClosing) open.push(name!);
  }
  expect(open).toEqual([]);
  expect(svg.match(/<polyline /g)?.length).toBeGreaterThanOrEqual(4);
}

/**
 * An overload row's goodput is judged within each run (its own fixed-concurrency peak, then
 * twice it): one peak and one ratio per run, and the row's goodput their median.
 */
function expectPairedGoodput(
  row: { peak_calls_per_s_runs: number[]; goodput_vs_peak_runs: number[]; goodput_vs_peak: number; peak_calls_per_s: number; peak_shed: number },
  runs: number,
): void {
  const context = JSON.stringify(row);
  // The refusals the peak runs met are counted (the report explains a goodput above 1 by them).
  expect(Number.isInteger(row.peak_shed) && row.peak_shed >= 0, context).toBe(true);
  expect(row.peak_calls_per_s_runs, context).toHaveLength(runs);
  expect(row.goodput_vs_peak_runs, context).toHaveLength(runs);
  for (const peak of row.peak_calls_per_s_runs) expect(peak, context).toBeGreaterThan(0);
  expect(row.peak_calls_per_s_runs, context).toContain(row.peak_calls_per_s);
  const ratios = [...row.goodput_vs_peak_runs].sort((a, b) => a - b);
  const mid = ratios.length / 2;
  const median = ratios.length % 2 ? ratios[Math.floor(mid)]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
  expect(row.goodput_vs_peak, context).toBeGreaterThan(0);
  expect(row.goodput_vs_peak, context).toBeCloseTo(median, 2);
}
