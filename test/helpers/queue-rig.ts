import { execa } from "execa";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseManifest } from "../../src/manifest.js";
import { awsJson, queueDepth, scanTable } from "./aws-json.js";
import { scoringClient } from "../../src/validate/grpc.js";
import { awsEnv, ensureMoto, startMoto, type Moto } from "../../src/validate/moto.js";
import { freePort } from "../../src/validate/ports.js";
import type { Service } from "../../src/validate/processes.js";
import { metricValue, startOrchestrator, startWorker, stopOrchestrator, stopWorker } from "../../src/validate/services.js";
import { resourceEnv } from "../../src/validate/queue-smoke.js";
import { normalizeResponse } from "../../src/validate/vectors.js";
import { E2E_ENV } from "./toolchain-env.js";

/**
 * Real processes against a real emulator for the reliability tests: the
 * generated repo's own binaries (bootstrap, produce, orchestrator, worker)
 * and moto, each scenario on its own queue/stream and tables.
 */
export class QueueRig {
  moto!: Moto;
  goBin = "";
  workerBin = "";
  /** The repo is only read: the rig's binaries, logs and workloads go to `logs`. */
  constructor(
    readonly repo: string,
    readonly logs: string,
  ) {}

  async setup(): Promise<void> {
    await execa("mkdir", ["-p", this.logs]);
    const go = join(this.repo, "orchestrator");
    this.goBin = join(this.logs, "bin");
    await execa("go", ["build", "-o", `${this.goBin}/`, "./cmd/..."], { cwd: go, env: E2E_ENV });
    // The queue presets the rig drives have the one default worker, scorer.
    const worker = join(this.repo, "workers");
    await execa("cargo", ["build", "--locked"], { cwd: worker, env: E2E_ENV });
    const meta = JSON.parse((await execa("cargo", ["metadata", "--no-deps", "--format-version", "1"], { cwd: worker, env: E2E_ENV })).stdout);
    this.workerBin = join(meta.target_directory, "debug", "scorer");
    const { toolchains } = parseManifest(JSON.parse(readFileSync(join(this.repo, "hybrid-backend.json"), "utf8")));
    this.moto = await startMoto(await ensureMoto(toolchains.moto, () => {}), join(this.logs, "moto.log"));
  }

  /** Environment for one scenario: its own resource names. */
  env(scenario: string): Record<string, string> {
    const manifest = parseManifest(JSON.parse(readFileSync(join(this.repo, "hybrid-backend.json"), "utf8")));
    const names = resourceEnv({ ...manifest, name: `${manifest.name}-${scenario}` });
    return { ...process.env, ...E2E_ENV, ...awsEnv(this.moto.endpoint), ...names, RUST_LOG: "info" } as Record<string, string>;
  }

  async bootstrap(env: Record<string, string>): Promise<void> {
    await execa(join(this.goBin, "bootstrap"), [], { cwd: join(this.repo, "orchestrator"), env });
  }

  private bins() {
    return { repo: this.repo, workers: [{ name: "scorer", bin: this.workerBin }], orchestrator: join(this.goBin, "orchestrator") };
  }

  startWorker(env: Record<string, string>, addr: string, tag: string): Promise<Service> {
    return startWorker(this.repo, this.bins().workers[0]!, env, addr, join(this.logs, `worker-${tag}.log`));
  }

  async startOrchestrator(env: Record<string, string>, workerAddr: string, tag: string): Promise<{ service: Service; base: string }> {
    const addr = `127.0.0.1:${await freePort()}`;
    const service = await startOrchestrator(this.bins(), env, addr, [{ name: "scorer", addr: workerAddr }], join(this.logs, `orchestrator-${tag}.log`));
    return { service, base: `http://${addr}` };
  }

  /** n deterministic requests, their expected responses scored directly by the worker, as a vectors file. */
  async workload(workerAddr: string, n: number, prefix: string): Promise<{ file: string; expected: Map<string, unknown> }> {
    const countries = ["US", "GB", "DE", "NG", "BR", "IN"];
    const channels = ["web", "pos", "app"];
    const requests = Array.from({ length: n }, (_, i) => ({
      id: `${prefix}${String(i).padStart(5, "0")}`,
      numericFeatures: { amount: ((i * 37) % 5000) + 0.5, account_age_days: i % 900, txn_count_24h: i % 30, hour_of_day: i % 24 },
      categoricalFeatures: { country: countries[i % countries.length]!, channel: channels[i % channels.length]! },
    }));
    const client = scoringClient(this.repo, workerAddr);
    const expected = new Map<string, unknown>();
    try {
      for (let i = 0; i < n; i += 1000) {
        const batch = await client.scoreBatch({ requests: requests.slice(i, i + 1000) });
        for (const r of batch.responses ?? []) expected.set(r.id as string, normalizeResponse(r));
      }
    } finally {
      client.close();
    }
    const file = join(this.logs, `${prefix}vectors.json`);
    writeFileSync(file, JSON.stringify({ vectors: requests.map((request) => ({ name: request.id, request, expected: expected.get(request.id) })) }));
    return { file, expected };
  }

  async produce(env: Record<string, string>, file: string): Promise<void> {
    await execa(join(this.goBin, "produce"), ["-vectors", file], { cwd: join(this.repo, "orchestrator"), env });
  }

  /** The repo's produce with its synthetic requests, as `make produce` runs it; its exit and output kept. */
  tryProduce(env: Record<string, string>) {
    return execa(join(this.goBin, "produce"), [], { cwd: join(this.repo, "orchestrator"), env, reject: false, all: true });
  }

  /** Sends these requests as they are, through the repo's own produce. */
  async produceRequests(env: Record<string, string>, tag: string, requests: object[]): Promise<void> {
    const file = join(this.logs, `${tag}-vectors.json`);
    writeFileSync(file, JSON.stringify({ vectors: requests.map((request, i) => ({ name: `${tag}-${i}`, request })) }));
    await this.produce(env, file);
  }

  async results(env: Record<string, string>): Promise<Record<string, unknown>[]> {
    return scanTable(this.moto.endpoint, env.DYNAMODB_TABLE!);
  }

  /** Deletes the results table: an outage of the sink (bootstrap makes it again). */
  async deleteResultsTable(env: Record<string, string>): Promise<void> {
    await awsJson(this.moto.endpoint, "dynamodb", "DynamoDB_20120810.DeleteTable", { TableName: env.DYNAMODB_TABLE });
  }

  /** Messages on the queue's dead-letter queue, visible or in flight. */
  deadLettered(env: Record<string, string>): Promise<number> {
    return queueDepth(this.moto.endpoint, `${env.SQS_QUEUE_NAME}-dlq`);
  }

  /** Up to ten dead-lettered messages with their attributes (received, so hidden for a while after). */
  async receiveDeadLetters(env: Record<string, string>): Promise<{ Body: string; MessageAttributes?: Record<string, { StringValue?: string }> }[]> {
    const { QueueUrl } = await awsJson<{ QueueUrl: string }>(this.moto.endpoint, "sqs", "AmazonSQS.GetQueueUrl", { QueueName: `${env.SQS_QUEUE_NAME}-dlq` });
    const out = await awsJson<{ Messages?: { Body: string; MessageAttributes?: Record<string, { StringValue?: string }> }[] }>(
      this.moto.endpoint,
      "sqs",
      "AmazonSQS.ReceiveMessage",
      { QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], WaitTimeSeconds: 1 },
    );
    return out.Messages ?? [];
  }

  /** Sends one message as it is, with these String attributes, around the repo's produce. */
  async sendMessage(env: Record<string, string>, body: string, attributes: Record<string, string>): Promise<void> {
    const { QueueUrl } = await awsJson<{ QueueUrl: string }>(this.moto.endpoint, "sqs", "AmazonSQS.GetQueueUrl", { QueueName: env.SQS_QUEUE_NAME });
    const MessageAttributes = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]));
    await awsJson(this.moto.endpoint, "sqs", "AmazonSQS.SendMessage", { QueueUrl, MessageBody: body, MessageAttributes });
  }

  /** Puts one record as it is on the stream, past the repo's produce, which sends only valid requests. */
  async putRecord(env: Record<string, string>, data: string, partitionKey: string): Promise<void> {
    await awsJson(this.moto.endpoint, "kinesis", "Kinesis_20131202.PutRecord", { StreamName: env.KINESIS_STREAM_NAME, Data: Buffer.from(data).toString("base64"), PartitionKey: partitionKey });
  }

  /** The Kinesis preset's dead-letter table. */
  deadLetterItems(env: Record<string, string>): Promise<Record<string, unknown>[]> {
    return scanTable(this.moto.endpoint, env.DEAD_LETTER_TABLE!);
  }

  async teardown(services: Service[]): Promise<void> {
    for (const s of services) if (!s.exited) s.proc.kill("SIGKILL");
    await this.moto?.stop().catch(() => {});
  }
}

/**
 * Polls the orchestrator's /readyz every 100 ms until `done` resolves, then
 * for `settleMs` more, and returns every answer that was not a 200.
 */
export async function readinessFailures(base: string, done: Promise<unknown>, settleMs = 2_000): Promise<string[]> {
  const failures: string[] = [];
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => {});
  let settleUntil = Infinity;
  while (Date.now() < settleUntil) {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e);
    if (res instanceof Error) failures.push(res.message);
    else if (res.status !== 200) failures.push(`${res.status} ${await res.text()}`);
    if (finished && settleUntil === Infinity) settleUntil = Date.now() + settleMs;
    await new Promise((r) => setTimeout(r, 100));
  }
  return failures;
}

/**
 * The largest trace context W3C allows, which SQS carries and the
 * orchestrator passes on to the worker: 32 trace-state members of 513
 * characters and 8 KB of baggage, more than hyper's default 16 KiB of
 * headers a call (the worker raises it: worker-kit's MAX_HEADER_LIST_BYTES).
 */
export function largestTraceContext(): Record<string, string> {
  const members = Array.from({ length: 32 }, (_, i) => `k${String(i).padStart(2, "0")}${"a".repeat(253)}=${"v".repeat(256)}`);
  return {
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    tracestate: members.join(","),
    baggage: `a=${"x".repeat(4000)},b=${"y".repeat(4000)}`,
  };
}

/** A counter's value from the orchestrator's /metrics. */
export async function counter(base: string, name: string): Promise<number> {
  return metricValue(await (await fetch(`${base}/metrics`)).text(), name);
}

export { stopOrchestrator, stopWorker, freePort };
