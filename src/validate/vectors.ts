import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Vector {
  name: string;
  request: Record<string, unknown>;
  expected: Record<string, unknown>;
}

export function loadVectors(repo: string): Vector[] {
  const file = join(repo, "testdata", "vectors.json");
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { vectors?: Vector[] };
  if (!Array.isArray(parsed.vectors) || parsed.vectors.length === 0) {
    throw new Error(`${file} holds no vectors`);
  }
  return parsed.vectors;
}

/**
 * A ScoreResponse with proto3 defaults filled in, so protojson (which omits
 * them) and grpc-js objects (which omit unset fields) compare equal.
 */
export function normalizeResponse(r: Record<string, unknown> | undefined): Record<string, unknown> {
  return {
    id: r?.id ?? "",
    score: r?.score ?? 0,
    modelVersion: r?.modelVersion ?? "",
    reasonCodes: r?.reasonCodes ?? [],
  };
}

/** A mismatch description, or undefined when equal. */
export function diffResponse(name: string, actual: unknown, expected: Record<string, unknown>): string | undefined {
  const a = JSON.stringify(normalizeResponse(actual as Record<string, unknown>));
  const e = JSON.stringify(normalizeResponse(expected));
  return a === e ? undefined : `vector ${name}: got ${a}, want ${e}`;
}
