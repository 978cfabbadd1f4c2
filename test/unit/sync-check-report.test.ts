import { describe, expect, it } from "vitest";
import { formatDrift } from "../../src/sync/report.js";
import { GENERATOR_VERSION } from "../../src/version.js";

/**
 * sync --check told a repo recorded at one release, checked by another, to run
 * the checking release's sync: that upgrades the repo, as a side effect of
 * what the team meant as a re-sync. It names both ways when the releases
 * differ, and the one command when they agree.
 */
describe("sync --check's advice for stale files", () => {
  const drift = [{ path: "Makefile", change: "changed" as const }];

  it("checked by the recorded release: run sync and commit", () => {
    const first = formatDrift("app", drift, [], GENERATOR_VERSION).split("\n")[0]!;
    expect(first).toMatch(/1 generated file\(s\) are stale; run `.+ sync` and commit$/);
  });

  it("checked by another release: make sync re-syncs with the recorded one, this release's sync upgrades", () => {
    const first = formatDrift("app", drift, [], "0.0.7").split("\n")[0]!;
    expect(first).toContain(`checked by release ${GENERATOR_VERSION}, while the repo records 0.0.7`);
    expect(first).toContain("`make sync` re-syncs with 0.0.7");
    expect(first).toMatch(new RegExp(` sync\` upgrades the repo to ${GENERATOR_VERSION.replace(/\./g, "\\.")}$`));
  });
});
