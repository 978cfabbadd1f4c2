import { describe, expect, it } from "vitest";
import { INGRESS, parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * `make help` is a newcomer's first map. Its bench line said "both services"
 * for a queue preset, whose bench drives the worker alone, and named four of
 * the five files the bench writes; smoke said "both services" with any
 * number of workers.
 */
describe.each(INGRESS)("make help tells the truth (%s)", (ingress) => {
  const tree = render(parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress }, workers: [{ name: "scorer" }, { name: "pricing" }] }));
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

  it("no target speaks of two services: a repo has the orchestrator and any number of workers", () => {
    expect(text("Makefile")).not.toMatch(/both services/);
  });
});
