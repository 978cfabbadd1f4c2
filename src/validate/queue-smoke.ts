import { writeFile } from "node:fs/promises";
import { traceTree } from "./trace-check.js";
import { join } from "node:path";
import type { Manifest } from "../manifest.js";
import { run } from "./exec.js";
import { awsEnv, startMoto } from "./moto.js";
import { PRODUCER_COMPONENT } from "../render/otel-env.js";
import { freePort } from "./ports.js";
import { killAll, waitFor, type Service } from "./processes.js";
import { metricValue, startOrchestrator, startWorkers, stopOrchestrator, stopWorker } from "./services.js";
import type { StepContext } from "./steps.js";
import { track } from "./activity.js";
import { loadVectors } from "./vectors.js";
import { awaitTrace, checkSmokeMetrics, protocolFor, startSmokeTelemetry, type SmokeTelemetry } from "./telemetry-smoke.js";

/** The orchestrator's commands this smoke runs besides the orchestrator (kept by the go step). */
export const QUEUE_SMOKE_COMMANDS = ["bootstrap", "produce", "verify"] as const;

const RESULTS_TIMEOUT_MS = 90_000;

/** The names validate (and the tests) give the emulated resources. */
export function resourceEnv(m: Manifest): Record<string, string> {
  return {
    SQS_QUEUE_NAME: `${m.name}-requests`,
    KINESIS_STREAM_NAME: `${m.name}-requests`,
    DYNAMODB_TABLE: `${m.name}-results`,
    LEASE_TABLE: `${m.name}-leases`,
    DEAD_LETTER_TABLE: `${m.name}-dead-letters`,
  };
}

/**
 * The queue presets' live proof against moto: bootstrap the resources, send
 * every vector plus one poison message through the queue or stream, and
 * have the repo's cmd/verify wait for every valid result with the expected
 * score where the sink keeps it (and the poison message in the dead-letter
 * queue, or for Kinesis the dead-letter table).
 */
export async function queueSmokeStep(ctx: StepContext): Promise<void> {
  const { orchestrator, workers, goBin } = ctx.binaries;
  if (!orchestrator || !workers?.length || !goBin || !ctx.motoBin) throw new Error("smoke needs the doctor, go and rust steps first");
  const m = ctx.manifest;
  const vectors = loadVectors(ctx.dir).length;
  const services: Service[] = [];
  ctx.activity.commandStarted("smoke", "starting moto (AWS emulator) on loopback", "");
  const moto = await startMoto(ctx.motoBin, ctx.log("smoke-moto"));
  services.push(moto.service);
  let telemetry: SmokeTelemetry | undefined;
  try {
    telemetry = await startSmokeTelemetry(m);
    const own = (name: string) => telemetry?.env(name, protocolFor(name, m)) ?? {};
    const resources = resourceEnv(m);
    const env = { ...process.env, ...awsEnv(moto.endpoint), ...resources, RUST_LOG: "info" } as Record<string, string>;
    const goDir = join(ctx.dir, "orchestrator");
    await run(ctx.log("smoke-bootstrap"), join(goBin, "bootstrap"), [], { cwd: goDir, env, track: track(ctx, "smoke") });

    // Every worker runs (readiness needs them all); the primary scores the messages.
    const httpAddr = `127.0.0.1:${await freePort()}`;
    const bins = { repo: ctx.dir, workers, orchestrator };
    const running = await startWorkers(bins, env, (name) => ctx.log(`smoke-${name}`), services, own);
    const o = await startOrchestrator(bins, { ...env, ...own("orchestrator") }, httpAddr, running, ctx.log("smoke-orchestrator"));
    services.push(o);

    const produceEnv = { ...env, ...own(PRODUCER_COMPONENT) };
    await run(ctx.log("smoke-produce"), join(goBin, "produce"), ["-vectors", "../testdata/vectors.json", "-poison"], { cwd: goDir, env: produceEnv, track: track(ctx, "smoke") });

    await verifyDelivery(ctx, join(goBin, "verify"), { cwd: goDir, env }, o);
    if (m.orchestrator.sink === "none") {
      // The log holds the results; /metrics must have counted them too.
      await waitFor("every vector counted on /metrics", o, async () => metricValue(await (await fetch(`http://${httpAddr}/metrics`)).text(), "orchestrator_messages_processed_total") >= vectors, RESULTS_TIMEOUT_MS);
    }
    if (telemetry) {
      // SQS counts each message; Kinesis each record batch, and ScoreBatch may carry many messages in one call.
      const handled = m.orchestrator.ingress === "sqs" ? vectors : 1;
      const trace = await awaitTrace(m, telemetry);
      await writeFile(ctx.log("smoke-trace"), traceTree(telemetry.receiver.spans(), trace));
      const metrics = await checkSmokeMetrics(m, telemetry, httpAddr, { handled, workerCalls: 1, served: { [running[0]!.name]: 1 } });
      ctx.note?.(`smoke: ${trace.summary}; ${metrics}`);
    }
    await stopOrchestrator(o);
    for (const w of running) await stopWorker(w.service);
    await moto.stop();
  } finally {
    killAll(services);
    await telemetry?.close();
  }
}

/**
 * The repo's own cmd/verify, as `make smoke` runs it: it waits for every
 * vector's result where the sink keeps it (DynamoDB, or for sink none the
 * orchestrator's log from this run's first byte), checks each result found
 * against its vector (a redelivery scored differently, or a result for an id
 * no vector sent, fails), then for the poison message in the dead-letter
 * queue or table. So validate and the repo check delivery with one code, and
 * the names results are stored under live in the repo's results package
 * alone. The orchestrator is watched meanwhile: if it dies, that is the
 * error, and verify is stopped.
 */
async function verifyDelivery(ctx: StepContext, verify: string, opts: { cwd: string; env: Record<string, string> }, o: Service): Promise<void> {
  const args = ["-vectors", "../testdata/vectors.json", "-wait", `${RESULTS_TIMEOUT_MS / 1000}s`, "-dlq"];
  if (ctx.manifest.orchestrator.sink === "none") args.push("-log", o.log, "-log-from", String(o.logFrom));
  const stop = new AbortController();
  let done = false;
  // Settled into a value at once: a failure is thrown below, never left unhandled.
  const outcome = run(ctx.log("smoke-verify"), verify, args, { ...opts, track: track(ctx, "smoke"), cancelSignal: stop.signal }).then(
    () => undefined,
    (err: unknown) => err,
  );
  void outcome.then(() => (done = true));
  try {
    // verify gives up after its -wait; the margin is for its start and last poll.
    await waitFor("cmd/verify found every vector's result and the dead letter", o, async () => done, RESULTS_TIMEOUT_MS + 30_000);
  } catch (err) {
    stop.abort();
    await outcome;
    throw err;
  }
  const failed = await outcome;
  if (failed) throw failed;
}
