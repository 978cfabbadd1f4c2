import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * A repo whose workers are all sidecars (uds) had make bench measure them over
 * loopback TCP unless told otherwise: figures of a hop it never deploys. The
 * bench's default is the primary worker's transport, and the README says so.
 */
describe("make bench measures the primary's transport by default", () => {
  it.each(["tcp", "uds"] as const)("primary %s", (transport) => {
    const other = transport === "tcp" ? "uds" : "tcp";
    const tree = render(
      parseManifest({
        name: "app",
        orchestrator: { module: "example.com/app/orchestrator" },
        workers: [{ name: "scorer", transport }, { name: "pricing", transport: other }],
      }),
    );
    const bench = tree.get("scripts/bench.sh")!.content.toString("utf8");
    // The script's own lines that choose it, run as bash runs them, with BENCH_TRANSPORT unset and set.
    const choose = bench.split("\n").filter((l) => /^(primary_)?transport=/.test(l)).join("\n");
    const run = (env: Record<string, string>) => execFileSync("bash", ["-c", `${choose}\necho "$transport"`], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" }).trim();
    expect(run({})).toBe(transport);
    expect(run({ BENCH_TRANSPORT: other })).toBe(other);
    const readme = tree.get("README.md")!.content.toString("utf8").replace(/\s+/g, " ");
    expect(readme).toContain(`The workers listen as the primary (scorer) is deployed, on ${transport === "uds" ? "Unix sockets" : "loopback TCP"} (its transport, \`${transport}\`); \`BENCH_TRANSPORT=${other}\``);
  });
});
