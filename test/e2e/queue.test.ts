import { execa } from "execa";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Service } from "../../src/validate/processes.js";
import { normalizeResponse } from "../../src/validate/vectors.js";
import { expectValidated, runCli, tempDir } from "../helpers/cli.js";
import { QueueRig, counter, freePort, stopGracefully } from "../helpers/queue-rig.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

// The whole backlog is queued before the orchestrator starts, and large
// enough that a few hundred requests are still pending when the failure is
// injected. Kinesis hands out records a thousand at a time, so it gets more;
// moto's SQS slows with queue depth, so it gets fewer.
const BACKLOG = { sqs: 1000, kinesis: 3000 } as const;
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
  const dir = join(tempDir("chb-queue-"), `${ingress}-app`);
  const rig = new QueueRig(dir);
  const services: Service[] = [];

  it("generates and passes validate against moto", async () => {
    const result = await runCli([dir, "--yes", "--json", "--ingress", ingress], process.cwd(), E2E_ENV);
    expectValidated(result);
  });

  it("passes staticcheck and go mod tidy", async () => {
    for (const [cmd, args] of [["staticcheck", ["./..."]], ["go", ["mod", "tidy", "-diff"]]] as const) {
      const r = await execa(cmd, args, { cwd: join(dir, "orchestrator"), env: E2E_ENV, reject: false, all: true });
      expect(r.exitCode, r.all).toBe(0);
    }
  });

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
      await stopGracefully(o.service, 15_000);
      await stopGracefully(worker, 15_000);
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
      await stopGracefully(first.service, 15_000); // exit 0 required
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
      await stopGracefully(second.service, 15_000);
      await stopGracefully(worker, 15_000);
    });
  });
});

describe("sqs preset with sink none", () => {
  it("passes validate: results logged and counted on /metrics", async () => {
    const dir = join(tempDir("chb-queue-"), "logged-app");
    const result = await runCli([dir, "--yes", "--json", "--ingress", "sqs", "--sink", "none", "--ci", "none"], process.cwd(), E2E_ENV);
    expectValidated(result, ["ci"]);
  });
});
