import { writeFile } from "node:fs/promises";
import { traceTree } from "./trace-check.js";
import { join } from "node:path";
import type { Manifest } from "../manifest.js";
import { queueDepth, scanTable } from "./aws-json.js";
import { run } from "./exec.js";
import { awsEnv, startMoto } from "./moto.js";
import { PRODUCER_COMPONENT } from "../render/otel-env.js";
import { freePort } from "./ports.js";
import { killAll, waitFor, type Service } from "./processes.js";
import { metricValue, startOrchestrator, startWorkers, stopOrchestrator, stopWorker } from "./services.js";
import type { StepContext } from "./steps.js";
import { track } from "./activity.js";
import { loadVectors } from "./vectors.js";
import { everyVectorFound, expectResults, loggedResults, type StoredResult } from "./smoke-results.js";
import { awaitTrace, checkSmokeMetrics, protocolFor, startSmokeTelemetry, type SmokeTelemetry } from "./telemetry-smoke.js";

/** The orchestrator's commands this smoke runs besides the orchestrator (kept by the go step). */
export const QUEUE_SMOKE_COMMANDS = ["bootstrap", "produce"] as const;

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
 * wait for every valid result to land in DynamoDB with the expected score
 * (and the poison message in the dead-letter queue, or for Kinesis the
 * dead-letter table).
 */
export async function queueSmokeStep(ctx: StepContext): Promise<void> {
  const { orchestrator, workers, goBin } = ctx.binaries;
  if (!orchestrator || !workers?.length || !goBin || !ctx.motoBin) throw new Error("smoke needs the doctor, go and rust steps first");
  const m = ctx.manifest;
  const vectors = loadVectors(ctx.dir);
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

    // Each vector's result, stored or logged, checked against what the vector expects.
    if (m.orchestrator.sink === "dynamodb") {
      const table = resources.DYNAMODB_TABLE!;
      let items: StoredResult[] = [];
      await waitFor(`every vector's result in DynamoDB table ${table}`, o, async () => everyVectorFound(vectors, (items = await scanTable(moto.endpoint, table))), RESULTS_TIMEOUT_MS);
      expectResults(vectors, items, `DynamoDB table ${table}`);
    } else {
      // Not a count of processed messages: a redelivery counts again, so a
      // count can be met before every vector was scored.
      let lines: StoredResult[] = [];
      await waitFor("every vector's result in the orchestrator's log (sink none)", o, async () => everyVectorFound(vectors, (lines = loggedResults(o))), RESULTS_TIMEOUT_MS);
      expectResults(vectors, lines, "the orchestrator's log");
      await waitFor("every vector counted on /metrics", o, async () => metricValue(await (await fetch(`http://${httpAddr}/metrics`)).text(), "orchestrator_messages_processed_total") >= vectors.length, RESULTS_TIMEOUT_MS);
    }
    if (m.orchestrator.ingress === "sqs") {
      const dlq = `${resources.SQS_QUEUE_NAME}-dlq`;
      await waitFor(`the poison message in ${dlq}`, o, async () => (await queueDepth(moto.endpoint, dlq)) >= 1, RESULTS_TIMEOUT_MS);
    } else {
      // A stream has no dead-letter queue: the poison record is kept, payload and reason, in a table.
      const table = resources.DEAD_LETTER_TABLE!;
      const kept = (i: Record<string, unknown>) => typeof (i.payload as { B?: unknown } | undefined)?.B === "string" && typeof i.reason === "string";
      await waitFor(`the poison record in ${table}`, o, async () => (await scanTable(moto.endpoint, table)).some(kept), RESULTS_TIMEOUT_MS);
    }
    if (telemetry) {
      // SQS counts each message; Kinesis each record batch, and ScoreBatch may carry many messages in one call.
      const handled = m.orchestrator.ingress === "sqs" ? vectors.length : 1;
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

