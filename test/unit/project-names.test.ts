import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { UsageError } from "../../src/errors.js";
import { parseManifest } from "../../src/manifest.js";
import { PROJECT_NAMES, PROJECT_NAME_MAX } from "../../src/project-names.js";
import { render } from "../../src/render/index.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const text = (tree: ReturnType<typeof render>, path: string) => Buffer.from(tree.get(path)!.content).toString("utf8");
const manifest = (name: string, ingress = "http", sink?: string) =>
  parseManifest({ name, orchestrator: { module: `example.com/${name}/orchestrator`, ingress, ...(sink ? { sink } : {}) } });

describe("names derived from the project name", () => {
  it("derives the longest project name from the longest affix and its system's limit", () => {
    expect(PROJECT_NAME_MAX).toBe(Math.min(...Object.values(PROJECT_NAMES).map((d) => d.max - d.of("").length)));
    // The prod overlay's IAM role, NAME-prod-orchestrator, is the tightest today: 64 - 18.
    expect(PROJECT_NAME_MAX).toBe(46);
  });

  // The name rule cites the tightest derived name to every repo: an http repo has no IAM role, so
  // "the prod overlay's IAM role" told its user of a thing their repo lacks.
  it("names the preset of each derived name an http repo does not have", () => {
    const name = "zq-app";
    const files = [...render(manifest(name)).values()].map((f) => Buffer.from(f.content).toString("utf8")).join("\n");
    for (const d of Object.values(PROJECT_NAMES)) {
      if (files.includes(d.of(name))) expect(d.what, d.of(name)).not.toMatch(/preset|sink/);
      else expect(d.what, d.of(name)).toMatch(/\b(queue|sqs|kinesis) preset's\b|\bdynamodb sink's\b/);
    }
  });

  it.each([PROJECT_NAME_MAX + 1, 63, 64])("refuses a %i-character name, naming the limit", (length) => {
    const name = "a".repeat(length);
    expect(() => manifest(name)).toThrow(UsageError);
    expect(() => manifest(name)).toThrow(new RegExp(`^name \\(--name\\): "a{${length}}" is not valid; use 2-${PROJECT_NAME_MAX} characters`));
  });

  it("renders a longest-name repo whose every derived name fits its system", () => {
    const name = `a${"b".repeat(PROJECT_NAME_MAX - 1)}`;
    for (const [ingress, sink] of [["http"], ["sqs", "dynamodb"], ["kinesis", "dynamodb"]] as [string, string?][]) {
      const tree = render(manifest(name, ingress, sink));
      for (const overlay of ["dev", "prod"]) {
        const ns = parse(text(tree, `deploy/kubernetes/overlays/${overlay}/kustomization.yaml`)).namespace as string;
        expect(ns, overlay).toMatch(DNS_LABEL);
        // Only the AWS presets have an IRSA role to annotate.
        if (!tree.has(`deploy/kubernetes/overlays/${overlay}/service-account.yaml`)) continue;
        const account = parseAllDocuments(text(tree, `deploy/kubernetes/overlays/${overlay}/service-account.yaml`)).map((d) => d.toJS())[0];
        const role = String(Object.values(account.metadata.annotations)[0]).split("/").at(-1)!;
        expect(role.length, role).toBeLessThanOrEqual(64);
      }
      for (const d of Object.values(PROJECT_NAMES)) expect(d.of(name).length, d.what).toBeLessThanOrEqual(d.max);
    }
  });

  it("keeps every worker's Kubernetes names valid too (a Service and container NAME, a ConfigMap NAME-config)", () => {
    const worker = `w${"x".repeat(23)}`;
    const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator" }, workers: [{ name: worker }] });
    expect(m.workers[0]!.name).toMatch(DNS_LABEL);
    expect(`${worker}-config`).toMatch(DNS_LABEL);
    expect(() => parseManifest({ ...m, workers: [{ name: `${worker}x` }] })).toThrow(UsageError);
  });
});
