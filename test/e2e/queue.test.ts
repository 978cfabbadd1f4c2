import { execa } from "execa";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Service } from "../../src/validate/processes.js";
import { normalizeResponse } from "../../src/validate/vectors.js";
import { expectValidated, runCli, tempDir } from "../helpers/cli.js";
import { QueueRig, counter, freePort, largestTraceContext, readinessFailures, stopOrchestrator, stopWorker } from "../helpers/queue-rig.js";
import { sharedQueueProject } from "../helpers/shared-projects.js";
import { expectGoLintersPass } from "../helpers/go-linters.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

// The whole backlog is queued before the orchestrator starts, and large
// enough that a few hundred requests are still pending when the failure is
// injected (IN_FLIGHT, asserted). Kinesis hands out records a thousand at a
// time, so it gets more; moto's SQS stores about ten a second here and slows
// with queue depth, so it gets fewer: at the SIGTERM about 200 are stored,
// which leaves 400 pending.
const BACKLOG = { sqs: 600, kinesis: 3000 } as const;
const IN_FLIGHT = 200;

/** Every expected id exactly once in the table, each with its expected result. */
function expectExactlyOnce(items: Record<string, unknown>[], expected: Map<string, unknown>) {
  const ids = items.map((i) => i.id as string);
  expect(new Set(ids).size, "duplicate ids").toBe(ids.length);
  expect(ids.length, "items in the table").toBe(expected.size);
  for (const item of items) {
    const got = normalizeResponse({ id: item.id, score: item.score, modelVersion: item.model_version, reasonCodes: item.reason_codes });
    expect(got, `result ${String(item.id)}`).toEqual(expected.get(item.id as string));
  }
}

async function until(what: string, check: () => Promise<boolean>, { timeoutMs = 240_000, everyMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  // A busy emulator may time out a read; that is "not yet", not a failure.
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits for the first results, polling fast so the failure lands early in the stream. */
const firstResults = (base: string) =>
  until("the first results", async () => (await counter(base, "orchestrator_messages_processed_total")) >= 20, { everyMs: 20 });

/**
 * The queue presets: generated and proven by validate (which starts moto by
 * itself), then put through failures with a few hundred requests in flight.
 */
describe.each(["sqs", "kinesis"] as const)("%s preset", (ingress) => {
  const N = BACKLOG[ingress];
  // Shared with the replica and lease tests (shared-projects.ts): generated once per run.
  let dir = "";
  let rig: QueueRig;
  const services: Service[] = [];
  beforeAll(async () => {
    dir = await sharedQueueProject(ingress);
    rig = new QueueRig(dir, tempDir(`chb-queue-${ingress}-`));
  });

  it("generates and passes validate against moto", async () => {
    expectValidated(await runCli(["validate", "--json"], dir, E2E_ENV));
  });

  it("passes staticcheck, deadcode and go mod tidy", () => expectGoLintersPass(join(dir, "orchestrator")));

  if (ingress === "sqs") {
    it("runs the generated README's make smoke as written (moto from the repo's own .venv)", async () => {
      const make = await execa("make", ["smoke"], { cwd: dir, env: E2E_ENV, reject: false, stdin: "ignore", all: true });
      expect(make.exitCode, make.all?.slice(-4000)).toBe(0);
      expect(make.stdout).toContain("smoke passed");
    });
  }

  describe("reliability", () => {
    beforeAll(() => rig.setup());
    afterAll(() => rig.teardown(services));

    it("produce before bootstrap names the missing queue or stream and bootstrap; an endpoint that is down is not blamed on bootstrap", async () => {
      const env = rig.env("unmade");
      const missing = await rig.tryProduce(env);
      expect(missing.exitCode, missing.all).toBe(1);
      expect(missing.all).toMatch(new RegExp(`${ingress === "sqs" ? "queue" : "stream"} "${env[ingress === "sqs" ? "SQS_QUEUE_NAME" : "KINESIS_STREAM_NAME"]}" does not exist \\(make bootstrap creates it\\)`));
      const down = await rig.tryProduce({ ...env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` });
      expect(down.exitCode, down.all).toBe(1);
      expect(down.all).toMatch(/connection refused/);
      expect(down.all).not.toContain("bootstrap");
    });

    it(`loses and duplicates nothing when the worker dies and comes back mid-stream (${BACKLOG[ingress]} requests)`, async () => {
      const env = rig.env("kill");
      await rig.bootstrap(env);
      const workerAddr = `127.0.0.1:${await freePort()}`;
      let worker = await rig.startWorker(env, workerAddr, "kill-1");
      services.push(worker);
      const { file, expected } = await rig.workload(workerAddr, N, "kill-");
      await rig.produce(env, file);
      const o = await rig.startOrchestrator(env, workerAddr, "kill");
      services.push(o.service);

      await firstResults(o.base);
      worker.proc.kill("SIGKILL");
      const atKill = await counter(o.base, "orchestrator_messages_processed_total");
      expect(N - atKill, "requests still in flight when the worker died").toBeGreaterThanOrEqual(IN_FLIGHT);
      await new Promise((r) => setTimeout(r, 2_000));
      worker = await rig.startWorker(env, workerAddr, "kill-2");
      services.push(worker);

      await until("every result", async () => (await rig.results(env)).length >= N, { everyMs: 3_000 });
      await new Promise((r) => setTimeout(r, 1_000)); // let any late duplicate write show up
      expectExactlyOnce(await rig.results(env), expected);
      const retried = await counter(o.base, "orchestrator_retries_total");
      const failed = await counter(o.base, "orchestrator_messages_failed_total");
      console.log(
        `${ingress} worker kill: ${atKill}/${N} processed at the kill, ${retried} retries, ${failed} failed then redelivered, all ${N} stored exactly once`,
      );
      await stopOrchestrator(o.service);
      await stopWorker(worker);
    });

    it(`resumes after SIGTERM mid-stream and stores each id once (${BACKLOG[ingress]} requests)`, async () => {
      const env = rig.env("term");
      await rig.bootstrap(env);
      const workerAddr = `127.0.0.1:${await freePort()}`;
      const worker = await rig.startWorker(env, workerAddr, "term");
      services.push(worker);
      const { file, expected } = await rig.workload(workerAddr, N, "term-");
      await rig.produce(env, file);
      const first = await rig.startOrchestrator(env, workerAddr, "term-1");
      services.push(first.service);

      await firstResults(first.base);
      await stopOrchestrator(first.service); // exit 0 required
      const stored = (await rig.results(env)).length;
      expect(N - stored, "requests still pending when the orchestrator stopped").toBeGreaterThanOrEqual(IN_FLIGHT);

      const second = await rig.startOrchestrator(env, workerAddr, "term-2");
      services.push(second.service);
      await until("every result", async () => (await rig.results(env)).length >= N, { everyMs: 3_000 });
      await new Promise((r) => setTimeout(r, 1_000));
      expectExactlyOnce(await rig.results(env), expected);
      const reprocessed = await counter(second.base, "orchestrator_messages_processed_total");
      if (ingress === "kinesis") {
        // Resumed from the checkpoint, not from the start of the stream.
        expect(reprocessed).toBeLessThan(N);
      }
      console.log(`${ingress} SIGTERM: ${stored}/${N} stored before the stop; the restart processed ${reprocessed}; all ${N} stored exactly once`);
      await stopOrchestrator(second.service);
      await stopWorker(worker);
    });

    if (ingress === "sqs") {
      it("dead-letters nothing while the results table is gone for longer than maxReceiveCount visibility timeouts", async () => {
        // bootstrap's maxReceiveCount is 5: with a 4s visibility timeout, a consumer that kept
        // receiving would dead-letter every message within about 20s of the table going.
        // (Shorter timeouts, or more loops, have moto answer heartbeats too late once the
        // table is back, and messages come round again while they are being handled.)
        const VISIBILITY_S = 4;
        const OUTAGE_MS = 35_000;
        const SENT = 300;
        const env = { ...rig.env("sinkdown"), SQS_VISIBILITY_TIMEOUT: `${VISIBILITY_S}s`, CONCURRENCY: "4" };
        await rig.bootstrap(env);
        const workerAddr = `127.0.0.1:${await freePort()}`;
        const worker = await rig.startWorker(env, workerAddr, "sinkdown");
        services.push(worker);
        const { file, expected } = await rig.workload(workerAddr, SENT, "sinkdown-");
        const o = await rig.startOrchestrator(env, workerAddr, "sinkdown");
        services.push(o.service);

        await rig.deleteResultsTable(env);
        await rig.produce(env, file);
        await until("/readyz to report the failing sink", async () => {
          const res = await fetch(`${o.base}/readyz`);
          return res.status === 503 && (await res.text()).includes("results sink failing");
        });
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        const failedDuringOutage = await counter(o.base, "orchestrator_messages_failed_total");
        expect(await rig.deadLettered(env), "dead-lettered during the outage").toBe(0);
        expect(o.service.exited, "the orchestrator survives the outage").toBe(false);
        await rig.bootstrap(env); // the table is back, empty

        await until("every result", async () => (await rig.results(env)).length >= SENT, { everyMs: 2_000 });
        await new Promise((r) => setTimeout(r, 1_000));
        const items = await rig.results(env);
        expectExactlyOnce(items, expected);
        const deadLettered = await rig.deadLettered(env);
        expect(deadLettered, "dead-lettered in all").toBe(0);
        await until("/readyz to recover", async () => (await fetch(`${o.base}/readyz`)).status === 200);
        console.log(
          `sqs results-table outage of ${OUTAGE_MS / 1000}s (visibility ${VISIBILITY_S}s, maxReceiveCount 5): sent ${SENT}, stored ${items.length}, dead-lettered ${deadLettered}; ${failedDuringOutage} message failures during the outage`,
        );
        await stopOrchestrator(o.service);
        await stopWorker(worker);
      });
    }

    // Kinesis: alone on a quiet stream, nothing else vouches for the worker. A record the
    // contract forbids is dead-lettered with its reason before any worker call, so without a
    // canary (the real worker refuses nothing the orchestrator's validation passes; the canary
    // itself is proven against real grpc-go workers in the generated pipeline tests), and
    // readiness must not fail meanwhile. SQS: a message carrying the largest trace context
    // W3C allows is scored and its result stored, not refused for its headers and
    // dead-lettered as it was under hyper's default header limit.
    it(ingress === "sqs" ? "scores a lone message carrying the largest valid trace context, readiness never failing" : "dead-letters a lone poison request on a quiet stream with its reason, readiness never failing and nothing stored", async () => {
      const env = rig.env("poison");
      await rig.bootstrap(env);
      const workerAddr = `127.0.0.1:${await freePort()}`;
      const worker = await rig.startWorker(env, workerAddr, "poison");
      services.push(worker);
      const o = await rig.startOrchestrator(env, workerAddr, "poison");
      services.push(o.service);
      const request = { id: "poison-00001", numericFeatures: { amount: 10.5 }, categoricalFeatures: { country: "US" } };
      if (ingress === "sqs") await rig.sendMessage(env, JSON.stringify(request), largestTraceContext());
      else await rig.putRecord(env, JSON.stringify({ ...request, categoricalFeatures: { country: "x".repeat(10_000) } }), request.id);
      const settled = until(ingress === "sqs" ? "the message to be scored" : "the poison to be dead-lettered", async () =>
        ingress === "sqs" ? (await rig.results(env)).length >= 1 : (await rig.deadLetterItems(env)).length >= 1,
      );
      expect(await readinessFailures(o.base, settled), "/readyz answers other than 200 meanwhile").toEqual([]);
      await settled;

      const canaries = async (outcome: string) => counter(o.base, `orchestrator_canaries_total{outcome="${outcome}"}`);
      expect([await canaries("scored"), await canaries("failed")], "canaries scored, failed").toEqual([0, 0]);
      if (ingress === "sqs") {
        expect((await rig.results(env)).map((r) => r.id)).toEqual([request.id]);
        expect(await rig.deadLettered(env), "dead-lettered").toBe(0);
      } else {
        const [dead, ...rest] = await rig.deadLetterItems(env);
        expect(rest, "only the poison is dead-lettered").toHaveLength(0);
        expect(dead!.reason).toMatch(/categorical_features\["country"\]: must be at most \d+ characters/);
        expect(await rig.results(env), "results stored").toEqual([]);
      }
      console.log(`${ingress} lone request: ${ingress === "sqs" ? "scored with the largest trace context" : "dead-lettered with its reason"}, /readyz 200 throughout`);
      await stopOrchestrator(o.service);
      await stopWorker(worker);
    });

    it("sets aside a different request under a stored id and takes an exact redelivery as done", async () => {
      const env = rig.env("conflict");
      await rig.bootstrap(env);
      const workerAddr = `127.0.0.1:${await freePort()}`;
      const worker = await rig.startWorker(env, workerAddr, "conflict");
      services.push(worker);
      const { file, expected } = await rig.workload(workerAddr, 20, "conflict-");
      await rig.produce(env, file);
      const o = await rig.startOrchestrator(env, workerAddr, "conflict");
      services.push(o.service);
      await until("every result", async () => (await rig.results(env)).length >= 20);

      const sent = JSON.parse(readFileSync(file, "utf8")).vectors.map((v: { request: Record<string, unknown> }) => v.request);
      const again = sent[3] as Record<string, unknown>;
      // The same request with its fields and features in another order: the same event.
      const redelivery = Object.fromEntries(
        Object.entries({ ...again, numericFeatures: Object.fromEntries(Object.entries(again.numericFeatures as object).reverse()) }).reverse(),
      );
      const conflicting: Record<string, unknown> = { ...(sent[5] as Record<string, unknown>), numericFeatures: { amount: 123456.5 } };
      await rig.produceRequests(env, "conflict-second", [redelivery, conflicting]);
      await until("the conflict to be counted", async () => (await counter(o.base, "orchestrator_conflicts_total")) >= 1);
      await until("the redelivery to be found stored", async () => (await counter(o.base, "orchestrator_messages_stored_before_total")) >= 1);
      await new Promise((r) => setTimeout(r, 1_000));

      // SQS and Kinesis deliver at least once: any message here may arrive twice (a
      // visibility timeout run out on a busy machine, a re-read after a checkpoint). The
      // counters of deliveries are therefore at least what was sent; what the conditional
      // write promises is exact: each id stored once, the first result standing, and each
      // conflicting request recorded once on it however often it came.
      const conflicts = await counter(o.base, "orchestrator_conflicts_total");
      const storedBefore = await counter(o.base, "orchestrator_messages_stored_before_total");
      expect(conflicts, "conflicts: the conflicting request, once a delivery").toBeGreaterThanOrEqual(1);
      // Processed counts results stored, each once: the redelivery (or any second delivery) is not one more.
      expect(await counter(o.base, "orchestrator_messages_processed_total"), "processed").toBe(20);
      expect(storedBefore, "stored before: the exact redelivery, once a delivery").toBeGreaterThanOrEqual(1);
      const items = await rig.results(env);
      expectExactlyOnce(items, expected); // the first result for each id stands
      const stored = items.find((i) => i.id === conflicting.id)!;
      const recorded = stored.conflicts as { M: { request: { S: string } } }[];
      expect(recorded, "conflicts recorded on the stored item").toHaveLength(1);
      expect(JSON.parse(recorded[0]!.M.request.S).numericFeatures.amount).toBe(123456.5);
      expect(items.find((i) => i.id === again.id)!.conflicts, "the redelivery is no conflict").toBeUndefined();
      // Nor is any other second delivery: what the counters took beyond what was sent went to stored before.
      expect(items.filter((i) => i.id !== conflicting.id && i.conflicts !== undefined).map((i) => i.id), "conflicts on other items").toEqual([]);
      if (ingress === "sqs") {
        await until("the conflict to be dead-lettered", async () => (await rig.deadLettered(env)) >= 1);
        // The conflicting message, dead-lettered (once a delivery), and nothing else.
        const dead = await rig.receiveDeadLetters(env);
        expect(dead.length, "dead letters").toBeGreaterThanOrEqual(1);
        for (const letter of dead) {
          expect(JSON.parse(letter.Body).id, "only the conflicting message is dead-lettered").toBe(conflicting.id);
          expect(letter.MessageAttributes?.poison_reason?.StringValue).toMatch(/^conflict: id "conflict-00005" is already stored for a different request/);
        }
      }
      console.log(
        `${ingress} conflict: 20 stored, the exact redelivery absorbed (stored before ${storedBefore}), the conflicting request counted ${conflicts} time(s), recorded once on the item${ingress === "sqs" ? " and dead-lettered" : ""}`,
      );
      await stopOrchestrator(o.service);
      await stopWorker(worker);
    });
  });
});

describe("sqs preset with sink none", () => {
  const dir = join(tempDir("chb-queue-"), "logged-app");

  it("passes validate: every result logged with its vector's score, and counted on /metrics", async () => {
    const result = await runCli([dir, "--yes", "--json", "--ingress", "sqs", "--sink", "none", "--ci", "none"], process.cwd(), E2E_ENV);
    expectValidated(result, ["ci"]);
  });

  it("passes staticcheck, deadcode and go mod tidy", () => expectGoLintersPass(join(dir, "orchestrator")));

  it("runs make smoke as written: cmd/verify checks each result in the orchestrator's log, and the dead-letter queue", async () => {
    const make = await execa("make", ["smoke"], { cwd: dir, env: E2E_ENV, reject: false, stdin: "ignore", all: true });
    expect(make.exitCode, make.all?.slice(-4000)).toBe(0);
    expect(make.stdout).toMatch(/verify: all \d+ results in the orchestrator's log \.\.\/\.smoke\/orchestrator\.log match the vectors/);
    expect(make.stdout).toContain("logged-app-requests-dlq holds");
    expect(make.stdout).toContain("smoke passed");
  });
});

// The one queue preset no case above validates: its Go is held to the linters all the same
// (the modules are the ones the kinesis preset above fetched).
describe("kinesis preset with sink none", () => {
  it("passes staticcheck, deadcode and go mod tidy", async () => {
    const dir = join(tempDir("chb-queue-"), "kinesis-logged");
    const result = await runCli([dir, "--yes", "--no-validate", "--ingress", "kinesis", "--sink", "none", "--ci", "none"], process.cwd(), E2E_ENV);
    expect(result.exitCode, result.stderr).toBe(0);
    await expectGoLintersPass(join(dir, "orchestrator"));
  });
});
