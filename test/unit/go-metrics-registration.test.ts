import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * A metric registered on a process-wide registry by code that runs once per
 * orchestrator (a constructor, run, a test's setup) panics the second time it
 * runs in one process: `go test -count=2` did, on the queue consumer's
 * counters. What exists once per process is a package-level variable made by
 * telemetry.NewHistogram/NewCounter/NewGauge (Go initialises it once); what a
 * run makes goes to that run's telemetry.Handler(own...). These rules keep
 * every other route to a shared registry out of the templates.
 */
const ORCHESTRATOR = join(import.meta.dirname, "../../templates/go-orchestrator");
const TELEMETRY = "internal/telemetry/";

function goFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? goFiles(join(dir, e.name)) : /\.go(\.hbs)?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const sources = goFiles(ORCHESTRATOR)
  .filter((f) => !relative(ORCHESTRATOR, f).startsWith("gen/"))
  .map((f) => ({ path: relative(ORCHESTRATOR, f), text: readFileSync(f, "utf8") }));

/** Registration on client_golang's default registry, wherever it is written. */
const DEFAULT_REGISTRY = /\bprometheus\.(?:MustRegister|Register)\(|\bpromauto\.|\bprometheus\.Default(?:Registerer|Gatherer)\b|\bpromhttp\.Handler\(\)/;
/** Registration on any registry: outside telemetry, only a test's own registry may take one. */
const REGISTERS = /\.(?:MustRegister|Register)\(/;
const PROCESS_METRIC = /\btelemetry\.New(?:Histogram|Counter|Gauge)\(/;

/** Lines (1-based) that call `pattern` somewhere other than a package-level var declaration. */
function outsidePackageVars(text: string, pattern: RegExp): number[] {
  const bad: number[] = [];
  let inVarBlock = false;
  text.split("\n").forEach((line, i) => {
    if (/^var \($/.test(line)) inVarBlock = true;
    else if (inVarBlock && line === ")") inVarBlock = false;
    if (!pattern.test(line)) return;
    const packageVar = /^var \w+(?: [\w.*[\]]+)? = /.test(line) || (inVarBlock && /^\t\w+(?:,\s*\w+)*\s+(?:[\w.*[\]]+\s+)?= /.test(line));
    if (!packageVar) bad.push(i + 1);
  });
  return bad;
}

describe("Go orchestrator metrics registration", () => {
  it("never uses client_golang's default registry", () => {
    const offenders = sources.filter((s) => DEFAULT_REGISTRY.test(s.text)).map((s) => s.path);
    expect(offenders).toEqual([]);
  });

  it("registers on a shared registry only inside telemetry, and tests only on their own", () => {
    const offenders = sources
      .filter((s) => !s.path.startsWith(TELEMETRY))
      .flatMap((s) =>
        s.text.split("\n").flatMap((line, i) => {
          if (!REGISTERS.test(line)) return [];
          // A test may register on a registry it made itself (prometheus.NewRegistry()).
          const own = /_test\.go(\.hbs)?$/.test(s.path) && /\bprometheus\.NewRegistry\(\)/.test(s.text);
          return own ? [] : [`${s.path}:${i + 1}: ${line.trim()}`];
        }),
      );
    expect(offenders).toEqual([]);
  });

  it("makes process-wide metrics only as package-level variables", () => {
    const offenders = sources.flatMap((s) => outsidePackageVars(s.text, PROCESS_METRIC).map((n) => `${s.path}:${n}`));
    expect(offenders).toEqual([]);
    // The rule reads real declarations: these are the metrics it covers.
    expect(sources.filter((s) => PROCESS_METRIC.test(s.text)).length).toBeGreaterThan(4);
  });

  it("tells a package-level variable from a call in a function", () => {
    const pattern = /telemetry\.NewCounter\(/;
    expect(outsidePackageVars("var c = telemetry.NewCounter(x)\n", pattern)).toEqual([]);
    expect(outsidePackageVars("var (\n\ta, b = telemetry.NewCounter(x), 1\n\tc = telemetry.NewCounter(y)\n)\n", pattern)).toEqual([]);
    expect(outsidePackageVars("func f() {\n\tc := telemetry.NewCounter(x)\n}\n", pattern)).toEqual([2]);
    expect(outsidePackageVars("func f() {\n\tvar c = telemetry.NewCounter(x)\n}\n", pattern)).toEqual([2]);
  });
});
