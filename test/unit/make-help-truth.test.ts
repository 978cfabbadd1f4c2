import { describe, expect, it } from "vitest";
import { INGRESS, parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { SYNTHETIC_COUNT_MAX, orchestratorSettings } from "../../src/render/settings.js";
import { workerSettings } from "../../src/render/worker-settings.js";
import { workerContexts } from "../../src/render/workers.js";

/**
 * `make help` is a newcomer's first map. Its bench line said "both services"
 * for a queue preset, whose bench drives the worker alone, and named four of
 * the five files the bench writes; smoke said "both services" with any
 * number of workers.
 */
describe.each(INGRESS)("make help tells the truth (%s)", (ingress) => {
  const manifest = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress }, workers: [{ name: "scorer" }, { name: "pricing" }] });
  const tree = render(manifest);
  const text = (path: string) => tree.get(path)!.content.toString("utf8");
  const help = (target: string) => new RegExp(`^${target}:.*## (.*)$`, "m").exec(text("Makefile"))![1]!;

  it("bench: names every file bench.sh says it wrote", () => {
    const wrote = /^echo "bench: wrote (.*)" >&2$/m.exec(text("scripts/bench.sh"))![1]!;
    const files = [...wrote.matchAll(/bench\/([\w.]+)/g)].map((m) => m[1]!);
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect(help("bench"), file).toContain(file);
  });

  it("bench: load-tests the orchestrator only where bench.sh starts it", () => {
    const startsOrchestrator = /"bin\/\$server"/.test(text("scripts/bench.sh"));
    expect(startsOrchestrator).toBe(ingress === "http");
    expect(help("bench").includes("orchestrator")).toBe(startsOrchestrator);
  });

  // Every setting a target's script checks is named on its help line (a new user tried
  // `make bench BENCH_ONLY=`: help named no BENCH_* at all), or, being a service's own,
  // left to the README's Configuration, to which the line points.
  it.each([
    ["run", "scripts/run.sh"],
    ["smoke", "scripts/smoke.sh"],
    ["bench", "scripts/bench.sh"],
    ["wait-ready", "scripts/wait-ready.sh"],
  ])("%s: names every setting %s checks", (target, script) => {
    const body = text(script);
    const workers = workerContexts(manifest);
    const services = [...orchestratorSettings(manifest, workers).settings, ...workerSettings(workers[0]!, manifest).settings].map((s) => s.name);
    const checked = new Set<string>();
    for (const m of body.matchAll(/\bcheck_\w+ [\w-]+ "?([A-Z][A-Z0-9_]+)/g)) checked.add(m[1]!);
    for (const m of body.matchAll(/^only_settings \S+ \S+ "[^"]*" (.*)$/gm)) for (const name of m[1]!.split(" ")) checked.add(name);
    if (/\bwait_timeout /.test(body)) checked.add("WAIT_TIMEOUT");
    if (/\baws_env [\w-]+/.test(body)) checked.add("AWS_ENDPOINT_URL");
    expect(checked.size).toBeGreaterThan(0);
    const line = help(target);
    const unnamed = [...checked]
      .map((name) => name.replace(/^WORKER_(SCORER|PRICING)_ADDR$/, "WORKER_<NAME>_ADDR").replace(/^WORKER_(SCORER|PRICING)_\w+$/, "WORKER_<NAME>_<VAR>"))
      .filter((name) => !line.includes(name) && !(services.includes(name) && line.includes("README Configuration")));
    expect(unnamed).toEqual([]);
  });

  // N= past the most produce sends (and PROCESSED= past the most wait-ready waits for) is
  // refused (scripts/checks.sh's check_count, tested in service-setting-checks); help and the
  // README said nothing of a maximum, so the refusal was a newcomer's first word of it.
  it("produce and wait-ready: name the most N and PROCESSED take, as the README does (the HTTP preset has neither)", () => {
    const most = `at most ${SYNTHETIC_COUNT_MAX}`;
    if (ingress === "http") {
      expect(text("Makefile")).not.toMatch(/^produce:/m);
      expect(text("Makefile")).not.toContain("PROCESSED");
      expect(text("README.md")).not.toMatch(/make produce|PROCESSED=/);
      return;
    }
    expect(help("produce")).toContain(`N at most ${SYNTHETIC_COUNT_MAX}`);
    expect(help("wait-ready")).toContain(`PROCESSED=N (${most})`);
    const readme = text("README.md");
    expect(readme).toMatch(new RegExp(`^\\| \`make produce\` \\|.*\`N\` ${most}\\b`, "m"));
    expect(readme).toMatch(new RegExp(`^\\| \`make wait-ready\` \\|.*\`PROCESSED=N\` \\(${most}\\)`, "m"));
    expect(readme).toContain(`make produce N=1000   # 1000 synthetic requests (N ${most})`);
  });

  it("no target speaks of two services: a repo has the orchestrator and any number of workers", () => {
    expect(text("Makefile")).not.toMatch(/both services/);
  });
});
