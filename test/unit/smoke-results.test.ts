import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { everyVectorFound, expectResults, loggedResults } from "../../src/validate/smoke-results.js";
import type { Vector } from "../../src/validate/vectors.js";
import { tempDir } from "../helpers/cli.js";

const vector = (id: string, score: number): Vector => ({
  name: `v-${id}`,
  request: { id },
  expected: { id, score, modelVersion: "m1", reasonCodes: ["AMOUNT_HIGH"] },
});
const vectors = [vector("a", 0.5), vector("b", 0.25), vector("c", 0.75)];
/** A line as results/sink.go logs it through slog's JSON handler. */
const scored = (id: string, score: number) =>
  `${JSON.stringify({ time: "2026-12-03T10:00:00Z", level: "INFO", msg: "scored", id, score, model_version: "m1", reason_codes: ["AMOUNT_HIGH"] })}\n`;

function logOf(text: string, before = "") {
  const log = join(tempDir(), "orchestrator.log");
  writeFileSync(log, before + text);
  return { log, logFrom: Buffer.byteLength(before) };
}

describe("the queue smoke's results (sink none: the orchestrator's log)", () => {
  it("reads the scored lines of this run only, skipping other lines and one still being written", () => {
    const service = logOf(
      [scored("a", 0.5), '{"level":"INFO","msg":"ready"}\n', "panic: not JSON\n", scored("b", 0.25), scored("c", 0.75).slice(0, 20)].join(""),
      scored("old", 0.1),
    );
    expect(loggedResults(service).map((r) => r.id)).toEqual(["a", "b"]);
    appendFileSync(service.log, scored("c", 0.75).slice(20));
    expect(loggedResults(service).map((r) => r.id)).toEqual(["a", "b", "c"]);
  });

  // The fault this replaced: waiting for orchestrator_messages_processed_total
  // >= the number of vectors, which a redelivery meets with a vector unscored.
  it("a redelivery does not stand in for a vector never scored", () => {
    const lines = loggedResults(logOf(scored("a", 0.5) + scored("a", 0.5) + scored("b", 0.25)));
    expect(lines).toHaveLength(vectors.length);
    expect(everyVectorFound(vectors, lines)).toBe(false);
    expect(everyVectorFound(vectors, [...lines, ...loggedResults(logOf(scored("c", 0.75)))])).toBe(true);
  });

  it("checks every result against its vector: a redelivery scored differently and an unsent id both fail", () => {
    const ok = loggedResults(logOf(scored("a", 0.5) + scored("b", 0.25) + scored("c", 0.75) + scored("a", 0.5)));
    expect(() => expectResults(vectors, ok, "the log")).not.toThrow();
    const changed = loggedResults(logOf(scored("a", 0.5) + scored("b", 0.25) + scored("c", 0.75) + scored("a", 0.6)));
    expect(() => expectResults(vectors, changed, "the log")).toThrow(/vector v-a: the log holds .*"score":0.6.*want .*"score":0.5/);
    const stranger = loggedResults(logOf(scored("zz", 0.5)));
    expect(() => expectResults(vectors, stranger, "the log")).toThrow('the log holds a result for "zz", which no vector sent');
  });

  it("reads DynamoDB items by the same names", () => {
    const items = [{ id: "a", score: 0.5, model_version: "m1", reason_codes: ["AMOUNT_HIGH"] }];
    expect(() => expectResults(vectors, items, "DynamoDB table t")).not.toThrow();
    expect(() => expectResults(vectors, [{ ...items[0], model_version: "m2" }], "DynamoDB table t")).toThrow(/vector v-a: DynamoDB table t holds/);
  });
});
