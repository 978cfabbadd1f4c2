import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * The generated Go tests bound their real-clock waits and freeze watches in one
 * place, internal/hangwatch: a watch derived from go test's -timeout fired only
 * after ~9.5 minutes by default, long after a hang could have been named.
 */
describe("generated Go tests: one bound for hangs", () => {
  for (const ingress of ["http", "sqs", "kinesis"] as const) {
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { ingress, module: "example.com/risk-api/orchestrator" } }));
    const goFiles = [...tree.keys()].filter((p) => p.startsWith("orchestrator/") && p.endsWith(".go"));
    const text = (p: string) => tree.get(p)!.content.toString("utf8");

    it(`${ingress}: a watchdog fires at hangwatch.Ceiling with every goroutine's stack, and every real-clock ceiling is hangwatch.Ceiling`, () => {
      for (const path of goFiles) {
        const src = text(path);
        // A watch on t.Deadline() alone fires at 95% of go test's -timeout: ~9.5 minutes.
        if (/\bt\.Deadline\(\)/.test(src)) {
          expect(src, path).toMatch(/limit := hangwatch\.Ceiling\n\s*if deadline, ok := t\.Deadline\(\); ok \{\n\s*limit = min\(limit, /);
          expect(src, path).toMatch(/debug\.SetTraceback\("all"\)/);
        }
        for (const [, value] of src.matchAll(/const realCeiling\s*=\s*(.+)/g)) expect(value, path).toBe("hangwatch.Ceiling");
      }
    });

    it(`${ingress}: the ceiling is tens of seconds`, () => {
      const src = text("orchestrator/internal/hangwatch/hangwatch.go");
      const seconds = Number(/const Ceiling = (\d+) \* time\.Second/.exec(src)?.[1]);
      expect(seconds).toBeGreaterThanOrEqual(10);
      expect(seconds).toBeLessThanOrEqual(60);
    });
  }
});
