import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { PROJECT_NAMES, DEAD_LETTER_QUEUE_SUFFIX } from "../../src/project-names.js";
import { EMULATOR_PORT } from "../../src/render/compose.js";
import { SQS_DEAD_LETTER } from "../../src/render/dead-letters.js";
import { render } from "../../src/render/index.js";
import { RETRIES, retryWorstWaitMs } from "../../src/render/retries.js";
import { COUNTERS_LOG } from "../../src/render/ops-log.js";
import { ORCHESTRATOR_PORT } from "../../src/render/settings.js";
import { FIRST_WORKER_PORT } from "../../src/render/workers.js";

/**
 * A fact create-hybrid-backend owns in one TypeScript constant reaches the
 * generated repo only through a template's substitution: a template that
 * spells the value itself goes on saying the old one when the constant
 * changes (cmd/bootstrap named the dead-letter queue NAME-dlq itself while
 * the SQS_QUEUE_NAME rule left room for project-names.ts' suffix; aws.sh and
 * two README partials spelled the emulator's port). Each pattern is built
 * from the constant, so it follows the value.
 */
const TEMPLATES = "templates";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const FACTS: { what: string; owner: string; pattern: RegExp; skip?: RegExp }[] = [
  {
    what: "the dead-letter queue's suffix",
    owner: "dead-letters.ts SQS_DEAD_LETTER.suffix",
    // Appended to a name or quoted alone; not verify's -dlq flag. Go tests name queues of their own.
    pattern: new RegExp(`(?:[\\w>)\\]]|")${escape(SQS_DEAD_LETTER.suffix)}\\b`),
    skip: /_test\.go(\.hbs)?$/,
  },
  {
    what: "the redrive policy's receive count",
    owner: "dead-letters.ts SQS_DEAD_LETTER.maxReceiveCount",
    pattern: new RegExp(`maxReceiveCount = ${SQS_DEAD_LETTER.maxReceiveCount}\\b|\\(${SQS_DEAD_LETTER.maxReceiveCount} receives\\)`),
  },
  {
    what: "the emulator's port",
    owner: "compose.ts EMULATOR_PORT",
    pattern: new RegExp(`(?:127\\.0\\.0\\.1|localhost|moto):${EMULATOR_PORT}(?!\\d)`),
    // A Go test's own example endpoints are not the emulator's default.
    skip: /_test\.go(\.hbs)?$/,
  },
  {
    what: "the pipeline's retry attempts",
    owner: "retries.ts RETRIES.pipelineAttempts",
    // Go's pipeline.Retry default, cmd/produce's resends (once `const attempts = 8`) and the README's budget.
    pattern: new RegExp(`\\b${RETRIES.pipelineAttempts} attempts\\b|[Aa]ttempts = ${RETRIES.pipelineAttempts}\\b|\\b${RETRIES.pipelineAttempts} × `),
    skip: /_test\.go(\.hbs)?$/,
  },
  {
    what: "the pipeline's backoff",
    owner: "retries.ts RETRIES.pipelineBaseMs, pipelineMaxMs",
    // Retry.Delay's defaults and their doc comments (once `base = 100 * time.Millisecond`, `Default 5s.`), the README's shed cap.
    pattern: new RegExp(`base = ${RETRIES.pipelineBaseMs} \\* time\\.Millisecond|first delay\\. Default ${RETRIES.pipelineBaseMs}ms|ceiling = ${RETRIES.pipelineMaxMs / 1000} \\* time\\.Second|every delay\\. Default ${RETRIES.pipelineMaxMs / 1000}s|capped at ${RETRIES.pipelineMaxMs / 1000} ?s\\b`),
  },
  {
    what: "the pipeline's longest wait",
    owner: "retries.ts retryWorstWaitMs (computed from the backoff)",
    pattern: new RegExp(`about ${Math.round(retryWorstWaitMs() / 1000)} ?s of waiting|${Math.round(retryWorstWaitMs() / 1000)} ?s at most|about ${Math.round(retryWorstWaitMs() / 2000)} ?s in all`),
  },
  {
    what: "the AWS SDK's attempts",
    owner: "retries.ts RETRIES.sdkAttempts",
    pattern: new RegExp(`SDKAttempts = ${RETRIES.sdkAttempts}\\b|at most ${RETRIES.sdkAttempts} attempts|× ${RETRIES.sdkAttempts} calls per AWS`),
  },
  {
    what: "the gRPC retry policy's attempts",
    owner: "retries.ts RETRIES.grpcAttempts",
    pattern: new RegExp(`"maxAttempts": ${RETRIES.grpcAttempts}\\b|\\(${RETRIES.grpcAttempts} attempts\\)|× ${RETRIES.grpcAttempts} worker calls`),
  },
  {
    what: "the orchestrator's port",
    owner: "settings.ts ORCHESTRATOR_PORT (LISTEN_ADDR's default)",
    // An address on it, the image's EXPOSE, the README's "port N" (scripts/lib.sh, checks.sh,
    // wait-ready.sh, run.sh, the Dockerfile and four README partials once typed 8080).
    pattern: new RegExp(`:${ORCHESTRATOR_PORT}(?!\\d)|EXPOSE ${ORCHESTRATOR_PORT}\\b|port ${ORCHESTRATOR_PORT}\\b`),
    // A Go test's own addresses are not the default.
    skip: /_test\.go(\.hbs)?$/,
  },
  {
    what: "the first worker's port",
    owner: "workers.ts FIRST_WORKER_PORT",
    pattern: new RegExp(`:${FIRST_WORKER_PORT}(?!\\d)`),
    // Tests' own addresses (Go's, worker-kit's test modules); addrs.go's list example belongs to
    // the socket-path checks (another change's).
    skip: /_test\.go(\.hbs)?$|worker-kit\/src\/(config\/tests|probe)\.rs$|internal\/config\/addrs\.go\.hbs$/,
  },
  {
    what: "how often the counters are logged",
    owner: "ops-log.ts COUNTERS_LOG.everySeconds",
    // consume.go's LogEvery interval, and the README's promise of the line (which once said
    // "periodic" where the walkthrough ended long before the first).
    pattern: new RegExp(`LogEvery\\([^)]*\\b${COUNTERS_LOG.everySeconds}\\*time\\.Second|counters\\W+line every ${COUNTERS_LOG.everySeconds} s`),
  },
];

describe("facts owned by one constant", () => {
  const sources = files(TEMPLATES).map((path) => ({ path: relative(TEMPLATES, path), text: readFileSync(path, "utf8") }));

  it.each(FACTS)("no template spells $what ($owner) itself", ({ pattern, skip }) => {
    const spelled = sources.filter((f) => !skip?.test(f.path)).flatMap((f) => f.text.split("\n").flatMap((line, i) => (pattern.test(line) ? [`${f.path}:${i + 1}: ${line.trim()}`] : [])));
    expect(spelled).toEqual([]);
  });

  it("the name rule's room for the suffix is the suffix bootstrap adds", () => {
    expect(SQS_DEAD_LETTER.suffix).toBe(DEAD_LETTER_QUEUE_SUFFIX);
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs" } }));
    const text = (p: string) => tree.get(p)!.content.toString("utf8");
    const go = text("orchestrator/internal/sqsconsumer/deadletter_queue.go");
    expect(go).toContain(`DeadLetterQueueSuffix = "${SQS_DEAD_LETTER.suffix}"`);
    expect(go).toContain(`MaxReceiveCount = ${SQS_DEAD_LETTER.maxReceiveCount}\n`);
    // Both tools name the queue by the one function.
    expect(text("orchestrator/cmd/bootstrap/main.go")).toContain("sqsconsumer.DeadLetterQueueName(name)");
    expect(text("orchestrator/cmd/verify/deadletter_sqs.go")).toContain("sqsconsumer.DeadLetterQueueName(cfg.QueueName)");
    expect(PROJECT_NAMES.deadLetterQueue.of("risk-api")).toBe(`${PROJECT_NAMES.queue.of("risk-api")}${SQS_DEAD_LETTER.suffix}`);
    expect(text("README.md")).toContain(`\`<queue>${SQS_DEAD_LETTER.suffix}\``);
    expect(text("scripts/aws.sh")).toContain(`LOCAL_AWS_ENDPOINT=http://127.0.0.1:${EMULATOR_PORT}\n`);
  });

  it("the retry budget reaches Go and the README from retries.ts, its longest wait computed", () => {
    // Sum of the capped ceilings: 0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 3.2 + 5 s with the defaults.
    expect(retryWorstWaitMs({ pipelineAttempts: 8, pipelineBaseMs: 100, pipelineMaxMs: 5000 })).toBe(11300);
    expect(retryWorstWaitMs({ pipelineAttempts: 3, pipelineBaseMs: 1000, pipelineMaxMs: 1500 })).toBe(2500);
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs" } }));
    const text = (p: string) => tree.get(p)!.content.toString("utf8");
    const retry = text("orchestrator/internal/pipeline/retry.go");
    expect(retry).toContain(`DefaultAttempts = ${RETRIES.pipelineAttempts}\n`);
    expect(retry).toContain(`DefaultBase     = ${RETRIES.pipelineBaseMs} * time.Millisecond\n`);
    expect(retry).toContain(`DefaultMax      = ${RETRIES.pipelineMaxMs} * time.Millisecond\n`);
    expect(text("orchestrator/internal/awsenv/attempts.go")).toContain(`const SDKAttempts = ${RETRIES.sdkAttempts}\n`);
    expect(text("orchestrator/internal/workerclient/client.go")).toContain(`"maxAttempts": ${RETRIES.grpcAttempts},`);
    // produce resends on the shared budget rather than a count of its own.
    expect(text("orchestrator/cmd/produce/main.go")).toContain("attempts := retry.MaxAttempts()");
    const readme = text("README.md").replace(/\s+/g, " ");
    const worst = Math.round(retryWorstWaitMs() / 1000);
    expect(readme).toContain(`up to ${RETRIES.pipelineAttempts} attempts with jittered backoff (at most about ${worst} s of waiting)`);
    expect(readme).toContain(`at most ${RETRIES.sdkAttempts} attempts (\`awsenv.SDKAttempts\`)`);
    expect(readme).toContain(`${RETRIES.pipelineAttempts} × ${RETRIES.grpcAttempts} worker calls`);
    expect(readme).toContain(`capped at ${RETRIES.pipelineMaxMs / 1000} s`);
  });
});
