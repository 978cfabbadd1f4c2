/**
 * Prometheus text exposition (format 0.0.4, and the sample lines OpenMetrics
 * shares with it), parsed just far enough to read sample values. Written here
 * rather than taken from npm: the grammar is a few lines, and the parsers on
 * the registry are unmaintained or pull in a client library.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;

/** Every sample line of a scrape; comments (# HELP, # TYPE) and blank lines skipped. Throws naming the first line it cannot read. */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`metrics line ${i + 1} is not a sample: ${JSON.stringify(line.slice(0, 200))}`);
    out.push({ name: m[1]!, labels: parseLabels(m[2] ?? "", i + 1), value: parseValue(m[3]!, i + 1) });
  });
  return out;
}

function parseLabels(body: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (LABEL.lastIndex < body.length && (m = LABEL.exec(body))) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  if (body.trim() && LABEL.lastIndex < body.length) throw new Error(`metrics line ${line}: cannot read labels {${body.slice(0, 200)}}`);
  return labels;
}

function parseValue(v: string, line: number): number {
  const special: Record<string, number> = { "+Inf": Infinity, Inf: Infinity, "-Inf": -Infinity, NaN: NaN };
  const n = v in special ? special[v]! : Number(v);
  if (Number.isNaN(n) && v !== "NaN") throw new Error(`metrics line ${line}: value ${JSON.stringify(v)} is not a number`);
  return n;
}

/** A histogram's observation count over all its series (e.g. every route and status). */
export function histogramCount(samples: Sample[], histogram: string): number {
  return samples.filter((s) => s.name === `${histogram}_count`).reduce((sum, s) => sum + s.value, 0);
}

export interface CountExpectation {
  /** Who exposed the scrape, for the message: "orchestrator", "worker scorer". */
  source: string;
  /** A histogram name from telemetry.ts. */
  histogram: string;
  atLeast: number;
}

/**
 * Each expected histogram counted at least as many observations as the smoke
 * caused. Returns one line per shortfall (empty when all hold), naming the
 * metric, the count, and the histograms the scrape did have.
 */
export function checkCounts(scrapes: Record<string, string>, expectations: CountExpectation[]): string[] {
  const problems: string[] = [];
  for (const e of expectations) {
    const text = scrapes[e.source];
    if (text === undefined) {
      problems.push(`metrics: no scrape from ${e.source}`);
      continue;
    }
    let samples: Sample[];
    try {
      samples = parseExposition(text);
    } catch (err) {
      problems.push(`metrics from ${e.source}: ${(err as Error).message}`);
      continue;
    }
    const got = histogramCount(samples, e.histogram);
    if (got >= e.atLeast) continue;
    const present = samples.some((s) => s.name === `${e.histogram}_count`);
    const histograms = [...new Set(samples.filter((s) => s.name.endsWith("_count")).map((s) => s.name.slice(0, -"_count".length)))];
    problems.push(
      present
        ? `metrics from ${e.source}: ${e.histogram}_count is ${got}, want at least ${e.atLeast} (the smoke's requests)`
        : `metrics from ${e.source}: no ${e.histogram}_count; histograms present: ${histograms.join(", ") || "none"}`,
    );
  }
  return problems;
}
