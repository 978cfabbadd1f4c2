import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { PROJECT_NAMES, DEAD_LETTER_QUEUE_SUFFIX } from "../../src/project-names.js";
import { EMULATOR_PORT } from "../../src/render/compose.js";
import { SQS_DEAD_LETTER } from "../../src/render/dead-letters.js";
import { render } from "../../src/render/index.js";

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
];

describe("facts owned by one constant", () => {
  const sources = files(TEMPLATES).map((path) => ({ path: relative(TEMPLATES, path), text: readFileSync(path, "latin1") }));

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
});
