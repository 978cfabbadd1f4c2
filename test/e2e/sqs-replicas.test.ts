import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsJson } from "../helpers/aws-json.js";
import type { Service } from "../../src/validate/processes.js";
import { normalizeResponse } from "../../src/validate/vectors.js";
import { tempDir } from "../helpers/cli.js";
import { sharedQueueProject } from "../helpers/shared-projects.js";
import { QueueRig, counter, freePort, stopOrchestrator, stopWorker } from "../helpers/queue-rig.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

// Three orchestrator replicas share one SQS queue while the worker is SIGKILLed and restarted
// and one replica is SIGTERMed, all mid-stream. Every request is still stored exactly once,
// with the worker's own score, and nothing is dead-lettered.
//
// "Duplicated" here means any of: an id in the table twice (the scan sees each item once, so the
// count of items equals the count of distinct ids), a stored result other than the first
// scoring of its request (the write is conditional on the id being absent, so a redelivery can
// never overwrite it with another attempt), or a redelivery taken as a different request (a
// conflict recorded on the item, counted as orchestrator_conflicts_total). A redelivery of a
// message that was stored but not yet deleted (the worker died mid-batch, a replica stopped, a
// visibility timeout ran out) is at-least-once delivery doing its job: it is processed again
// and absorbed by the idempotent write. Those are counted from the replicas' own counters and
// reported, not forbidden.
const RECORDS = 2000;
const SHUTDOWN_S = 5;
// bootstrap sets the queue's maxReceiveCount; see queue.test.ts for why the timeout is not shorter.
const VISIBILITY_S = 10;
// Receive loops per replica: three replicas at the default 20 keep moto too busy to answer the
// visibility heartbeats in time.
const CONCURRENCY = 8;

type Counters = { processed: number; stored_before: number; failed: number; retried: number; dead_lettered: number; conflicts: number };

/** The final counters a replica logs as it exits ("stopped"). */
function stoppedCounters(file: string): Counters {
  const line = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { msg: string; counters?: Counters })
    .find((j) => j.msg === "stopped");
  if (!line?.counters) throw new Error(`${file}: no "stopped" line with counters`);
  return line.counters;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 180_000, everyMs = 500) {
  const deadline = Date.now() + timeoutMs;
  // A busy emulator may time out a read; that is "not yet", not a failure.
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** What is on the dead-letter queue, with how often each message was received, for the failure message. */
async function deadLetters(endpoint: string, env: Record<string, string>): Promise<string> {
  const { QueueUrl } = await awsJson<{ QueueUrl: string }>(endpoint, "sqs", "AmazonSQS.GetQueueUrl", { QueueName: `${env.SQS_QUEUE_NAME}-dlq` });
  const out = await awsJson<{ Messages?: { Body: string; Attributes?: Record<string, string> }[] }>(endpoint, "sqs", "AmazonSQS.ReceiveMessage", {
    QueueUrl,
    MaxNumberOfMessages: 10,
    AttributeNames: ["All"],
    WaitTimeSeconds: 1,
  });
  return JSON.stringify((out.Messages ?? []).map((m) => ({ id: (JSON.parse(m.Body) as { id?: string }).id, attributes: m.Attributes })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sqs consumer replicas", () => {
  // The project queue.test.ts validates, generated once per run (shared-projects.ts).
  let rig: QueueRig;
  const services: Service[] = [];

  beforeAll(async () => {
    rig = new QueueRig(await sharedQueueProject("sqs"), tempDir("chb-sqs-replicas-"));
    await rig.setup();
  }, 600_000);
  afterAll(() => rig.teardown(services));

  it(`three replicas on one queue store ${RECORDS} requests exactly once through a worker kill and a replica's SIGTERM`, async () => {
    const env = { ...rig.env("replicas"), SHUTDOWN_TIMEOUT: `${SHUTDOWN_S}s`, SQS_VISIBILITY_TIMEOUT: `${VISIBILITY_S}s`, CONCURRENCY: `${CONCURRENCY}` };
    await rig.bootstrap(env);
    const workerAddr = `127.0.0.1:${await freePort()}`;
    let worker = await rig.startWorker(env, workerAddr, "replicas-1");
    services.push(worker);
    const { file, expected } = await rig.workload(workerAddr, RECORDS, "rep-");
    const vectors = JSON.parse(readFileSync(file, "utf8")).vectors as unknown[];
    const half = RECORDS / 2;
    const produceHalf = async (i: number) => {
      const part = join(rig.logs, `rep-part${i}.json`);
      writeFileSync(part, JSON.stringify({ vectors: vectors.slice(i * half, (i + 1) * half) }));
      await rig.produce(env, part);
    };

    const tags = ["r1", "r2", "r3"];
    const replicas: { service: Service; base: string }[] = [];
    for (const tag of tags) {
      const o = await rig.startOrchestrator(env, workerAddr, tag);
      services.push(o.service);
      replicas.push(o);
    }
    const [r1, r2, r3] = replicas as [(typeof replicas)[0], (typeof replicas)[0], (typeof replicas)[0]];
    const processed = async () => (await Promise.all(replicas.filter((r) => !r.service.exited).map((r) => counter(r.base, "orchestrator_messages_processed_total")))).reduce((a, b) => a + b, 0);
    const started = Date.now();

    // Requests keep arriving while the failures happen.
    const producing = (async () => {
      await produceHalf(0);
      await produceHalf(1);
    })();
    await until("the first results", async () => (await processed()) >= 200, 120_000, 50);

    // The worker dies with batches in hand on every replica, and comes back on its port.
    worker.proc.kill("SIGKILL");
    const atKill = (await rig.results(env)).length;
    await sleep(3_000);
    worker = await rig.startWorker(env, workerAddr, "replicas-2");
    services.push(worker);

    // Once results flow again, r2 is stopped with batches in hand while requests still arrive:
    // it finishes (or hands back) its batches within SHUTDOWN_TIMEOUT and exits 0; the other two
    // carry on.
    await until("results to flow again", async () => (await processed()) >= atKill + 200, 120_000, 50);
    const atTerm = (await rig.results(env)).length;
    expect(RECORDS - atTerm, "requests still to store when r2 was stopped").toBeGreaterThanOrEqual(200);
    const termAt = Date.now();
    // Exit 0 required within what the platform waits before SIGKILL, however slow the emulator
    // makes the tidying up.
    await stopOrchestrator(r2.service, SHUTDOWN_S);
    const drainMs = Date.now() - termAt;
    await producing;

    await until("every result", async () => (await rig.results(env)).length >= RECORDS, 180_000, 2_000);
    const elapsedMs = Date.now() - started;
    await sleep(2_000); // let a late duplicate or conflict show
    for (const r of [r1, r3]) await stopOrchestrator(r.service, SHUTDOWN_S);

    const items = await rig.results(env);
    const ids = items.map((i) => i.id as string);
    expect(new Set(ids).size, "distinct ids").toBe(ids.length);
    expect(ids.length, "items in the table").toBe(RECORDS);
    for (const item of items) {
      const got = normalizeResponse({ id: item.id, score: item.score, modelVersion: item.model_version, reasonCodes: item.reason_codes });
      expect(got, `result ${String(item.id)}`).toEqual(expected.get(item.id as string));
      expect(item.conflicts, `${String(item.id)}: a redelivery taken for another request`).toBeUndefined();
    }
    const deadLettered = await rig.deadLettered(env);
    expect(deadLettered, `dead-lettered: ${deadLettered ? await deadLetters(rig.moto.endpoint, env) : ""}`).toBe(0);

    const counters = tags.map((t) => stoppedCounters(join(rig.logs, `orchestrator-${t}.log`)));
    const sum = (k: keyof Counters) => counters.reduce((a, c) => a + c[k], 0);
    expect(sum("conflicts"), "conflicts").toBe(0);
    expect(sum("dead_lettered"), "dead-lettered by the replicas").toBe(0);
    // Every request is stored once, and counted processed at most once: a write whose answer
    // outlived its bounded call (a busy emulator) but landed is known by its write_id on the
    // retry and counted processed then. One cut off by r2's shutdown, or whose retries all ran
    // out, is counted stored before if its redelivery reaches another replica; so the two
    // counters together cover every request, and the table above is the proof of each.
    expect(sum("processed"), "requests counted processed, each once at most").toBeLessThanOrEqual(RECORDS);
    expect(sum("processed") + sum("stored_before"), "requests processed or found stored").toBeGreaterThanOrEqual(RECORDS);
    const reprocessed = sum("processed") + sum("stored_before") - RECORDS;
    console.log(
      `sqs replicas: 3 replicas × ${CONCURRENCY} receive loops, ${RECORDS} requests stored exactly once (0 duplicates, 0 conflicts, ${deadLettered} dead-lettered) in ${(elapsedMs / 1000).toFixed(1)} s; ` +
        `worker SIGKILLed at ${atKill} stored and back after 3 s; r2 SIGTERMed at ${atTerm} stored, exit 0 after ${drainMs} ms (SHUTDOWN_TIMEOUT ${SHUTDOWN_S}s); ` +
        `processed ${counters.map((c) => c.processed).join("+")} = ${sum("processed")} (${reprocessed} redeliveries of stored requests absorbed), ` +
        `${sum("failed")} failed deliveries redelivered, ${sum("retried")} call retries`,
    );
    await stopWorker(worker);
  }, 480_000);
});
