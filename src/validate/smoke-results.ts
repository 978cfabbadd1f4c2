import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { Service } from "./processes.js";
import { normalizeResponse, type Vector } from "./vectors.js";

/**
 * A result as the queue presets keep it: a DynamoDB item, or a line the
 * `none` sink logged. Both use the same names (results/dynamodb.go and
 * results/sink.go): id, score, model_version, reason_codes.
 */
export type StoredResult = Record<string, unknown>;

/**
 * The results the orchestrator's `none` sink logged in this run, in order:
 * one JSON line with msg "scored" per result (results/sink.go), read from
 * the service's log past logFrom (earlier runs append to the same file).
 * A line still being written is left for the next read. An id may appear
 * more than once: the sink has no memory, so a redelivery is logged again.
 */
export function loggedResults(service: Pick<Service, "log" | "logFrom">): StoredResult[] {
  const size = statSync(service.log).size;
  const buffer = Buffer.alloc(Math.max(size - service.logFrom, 0));
  const fd = openSync(service.log, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, service.logFrom);
  } finally {
    closeSync(fd);
  }
  const text = buffer.toString("utf8");
  const complete = text.slice(0, text.lastIndexOf("\n") + 1);
  const results: StoredResult[] = [];
  for (const line of complete.split("\n")) {
    if (!line.startsWith("{")) continue;
    let record: StoredResult;
    try {
      record = JSON.parse(line) as StoredResult;
    } catch {
      continue; // not one of slog's lines (a panic, a runtime message)
    }
    if (record.msg === "scored") results.push(record);
  }
  return results;
}

/** Whether every vector's request has at least one result among found. */
export function everyVectorFound(vectors: readonly Vector[], found: readonly StoredResult[]): boolean {
  const ids = new Set(found.map((r) => r.id));
  return vectors.every((v) => ids.has(v.request.id));
}

/**
 * Checks each result found against the response its vector expects: every
 * one, so a redelivery that scored differently fails as surely as a wrong
 * first answer, and a result for an id no vector sent fails too. where
 * names the place in the error ("DynamoDB table x").
 */
export function expectResults(vectors: readonly Vector[], found: readonly StoredResult[], where: string): void {
  for (const r of found) {
    const vector = vectors.find((v) => v.request.id === r.id);
    if (!vector) throw new Error(`${where} holds a result for ${JSON.stringify(r.id)}, which no vector sent`);
    const got = normalizeResponse({ id: r.id, score: r.score, modelVersion: r.model_version, reasonCodes: r.reason_codes });
    const want = normalizeResponse(vector.expected);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`vector ${vector.name}: ${where} holds ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
  }
}
