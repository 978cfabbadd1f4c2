import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * The README's Try it comment, its Commands row and `make help` say what `make
 * bootstrap` creates in the same words, and those words name each resource
 * cmd/bootstrap creates ("table ready:" once per table, "queue ready:" for
 * the queue and its dead-letter queue, "stream ready:"). The Try it comment
 * had said "the queue and tables" for one table, and "the stream" alone.
 */
const presets = [
  ["sqs", "dynamodb", ["the queue", "its dead-letter queue", "the results table"]],
  ["sqs", "none", ["the queue", "its dead-letter queue"]],
  ["kinesis", "dynamodb", ["the stream", "the lease table", "the dead-letter table", "the results table"]],
  ["kinesis", "none", ["the stream", "the lease table", "the dead-letter table"]],
] as const;

describe.each(presets)("bootstrap's resources, %s with sink %s", (ingress, sink, resources) => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress, sink } }));
  const text = (path: string) => tree.get(path)!.content.toString("utf8");
  const phrase = `${resources.slice(0, -1).join(", ")} and ${resources.at(-1)}`;

  it("names every resource cmd/bootstrap creates", () => {
    const bootstrap = text("orchestrator/cmd/bootstrap/main.go");
    const tables = (bootstrap.match(/awsenv\.EnsureTable\(|\{cfg\.[A-Za-z]+Table, /g) ?? []).length;
    expect(resources.filter((r) => r.endsWith("table")).length).toBe(tables - (ingress === "kinesis" ? 1 : 0));
  });

  it("the Try it comment, the Commands row and make help say it alike", () => {
    const readme = text("README.md");
    const tryIt = /^make bootstrap +# (.*)$/m.exec(readme)?.[1];
    expect(tryIt).toContain(phrase);
    expect(/^\| `make bootstrap` \|(.*)$/m.exec(readme)?.[1]).toContain(phrase);
    expect(/^bootstrap: .*## (.*)$/m.exec(text("Makefile"))?.[1]).toContain(phrase);
  });
});
