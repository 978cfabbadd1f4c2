import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * Each generated command reads the orchestrator's settings once, in main,
 * and hands them on: cmd/verify loaded them in main (to refuse bad input),
 * again to open its store and again for its dead-letter check, so one run
 * could act on settings its first check never saw, and each new file of a
 * command added one more load.
 */
const presets = [
  { ingress: "http" },
  { ingress: "sqs", sink: "dynamodb" },
  { ingress: "sqs", sink: "none" },
  { ingress: "kinesis", sink: "dynamodb" },
  { ingress: "kinesis", sink: "none" },
] as const;

describe.each(presets)("the Go commands of %o", (orchestrator) => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator }, workers: [{ name: "scorer" }] }));
  const commands = new Map<string, string[]>();
  for (const [path, file] of tree) {
    const m = /^orchestrator\/cmd\/([^/]+)\/[^/]+(?<!_test)\.go$/.exec(path);
    if (m) commands.set(m[1]!, [...(commands.get(m[1]!) ?? []), ...(file.content.toString("utf8").match(/^.*\bconfig\.Load\(.*$/gm) ?? []).map((l) => `${path}: ${l.trim()}`)]);
  }

  it("load the settings at most once each", () => {
    expect(commands.size).toBeGreaterThan(0);
    for (const [name, loads] of commands) expect(loads.length, `cmd/${name}:\n${loads.join("\n")}`).toBeLessThanOrEqual(1);
  });
});
