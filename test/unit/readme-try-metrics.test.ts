import { describe, expect, it } from "vitest";
import { INGRESS, parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { orchestratorMetrics } from "../../src/render/telemetry.js";

/**
 * "Try it" tells a queue preset's user to look at the counters after `make
 * produce N=1000`. Its grep matched every orchestrator metric: some sixty
 * lines of histogram buckets, the processed count somewhere among them. It
 * now selects the message counters the comment names, and nothing else.
 */
describe.each(INGRESS.filter((i) => i !== "http"))("Try it's counters (%s)", (ingress) => {
  const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress } });
  const readme = render(m).get("README.md")!.content.toString("utf8");
  const line = /^curl -fsS localhost:8080\/metrics \| grep '([^']+)' +# (.*)$/m.exec(readme);

  it("greps only counters, the ones its comment names among them", () => {
    expect(line, "the Try it metrics line").not.toBeNull();
    const pattern = new RegExp(line![1]!);
    const shown = orchestratorMetrics(m).filter((metric) => pattern.test(metric.name));
    expect(shown.map((metric) => metric.type)).toEqual(shown.map(() => "counter"));
    const names = shown.map((metric) => metric.name);
    expect(names).toContain("orchestrator_messages_processed_total");
    for (const named of line![2]!.match(/\b(processed|stored_before)\b/g) ?? []) expect(names).toContain(`orchestrator_messages_${named}_total`);
  });
});
