import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { COLLECTOR_RELEASE, STACK_IMAGES } from "../../src/render/observability.js";
import { ensureCollectorValidator } from "../../src/validate/collector-validator.js";
import { tempDir } from "../helpers/cli.js";

/**
 * The compose stack's observability/otel-collector.yaml, checked by the
 * collector itself: `validate` of a distribution built at the release the
 * compose image pins (globalSetup builds it), for every ingress preset, and
 * shown to reject broken configs, so a pass means something.
 */
const CONFIG = "observability/otel-collector.yaml";
const presets = [{ ingress: "http" }, { ingress: "sqs", sink: "dynamodb" }, { ingress: "kinesis", sink: "none" }] as const;

const configOf = (orchestrator: (typeof presets)[number]) => {
  const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator }, workers: [{ name: "scorer" }, { name: "pricing" }] });
  return render(m).get(CONFIG)!.content.toString("utf8");
};

let exe: string;
let dir: string;
beforeAll(async () => {
  exe = await ensureCollectorValidator();
  dir = tempDir("chb-otelcol-");
});

/** Runs `validate` on a config; returns the exit code and what the collector said. */
async function validate(name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  const r = await execa(exe, ["validate", `--config=${file}`], { reject: false, stdin: "ignore", all: true });
  return { code: r.exitCode, out: r.all ?? "" };
}

describe("the collector validates the generated otel-collector.yaml", () => {
  it("is built at the release compose's contrib image is pinned to", async () => {
    const { stdout } = await execa(exe, ["--version"], { stdin: "ignore" });
    expect(stdout.trim()).toBe(`otelcol-validate version ${COLLECTOR_RELEASE}`);
    expect(STACK_IMAGES.collector.endsWith(`:${COLLECTOR_RELEASE}`)).toBe(true);
  });

  it("holds exactly the component types the generated configs use", async () => {
    const used: Record<string, Set<string>> = { receivers: new Set(), processors: new Set(), exporters: new Set(), extensions: new Set() };
    for (const p of presets) {
      const cfg = parse(configOf(p)) as Record<string, Record<string, unknown>>;
      for (const kind of Object.keys(used)) for (const id of Object.keys(cfg[kind] ?? {})) used[kind]!.add(id.split("/")[0]!);
    }
    const { stdout } = await execa(exe, ["components"], { stdin: "ignore" });
    const built = parse(stdout) as Record<string, { name: string }[]>;
    for (const kind of Object.keys(used)) expect(built[kind]!.map((c) => c.name).sort(), kind).toEqual([...used[kind]!].sort());
  });

  it.each(presets)("accepts the config generated for $ingress", async (preset) => {
    const r = await validate(`${preset.ingress}.yaml`, configOf(preset));
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  });

  // The same binary fails what compose's collector would refuse to start on.
  const good = () => configOf(presets[0]);
  it.each([
    ["a pipeline naming an undefined exporter", (t: string) => t.replace("exporters: [otlp_grpc/jaeger]", "exporters: [otlp_grpc/tempo]"), 'references exporter "otlp_grpc/tempo" which is not configured'],
    ["a misspelt setting", (t: string) => t.replace(/^(\s+)limit_mib:/m, "$1limit_mb:"), "invalid keys: limit_mb"],
    ["a component type the distribution lacks", (t: string) => t.replaceAll("otlp_grpc/jaeger", "zipkin/jaeger"), "unknown type"],
    // A spike allowance above the hard limit leaves no soft limit.
    ["an invalid value", (t: string) => t.replace(/^(\s+)limit_mib: \d+/m, "$1limit_mib: 1"), "memory_limiter"],
  ])("rejects %s", async (_what, breakIt, says) => {
    const broken = breakIt(good());
    expect(broken).not.toBe(good());
    const r = await validate("broken.yaml", broken);
    expect(r.code).toBe(1);
    expect(r.out).toContain(says);
  });
});
