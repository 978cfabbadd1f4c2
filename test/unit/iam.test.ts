import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { iamAction } from "../../src/render/iam.js";
import { render, type FileTree } from "../../src/render/index.js";

/**
 * The IAM policy the service-account overlays document is exactly what the
 * orchestrator calls: every aws-sdk-go-v2 operation in the Go code the
 * orchestrator binary runs (cmd/orchestrator and internal/), mapped to its IAM
 * action, is listed, and nothing else is.
 */
const PRESETS = [
  { ingress: "sqs", sink: "dynamodb" },
  { ingress: "sqs", sink: "none" },
  { ingress: "kinesis", sink: "dynamodb" },
  { ingress: "kinesis", sink: "none" },
] as const;

const SDK_SERVICE = /^\s*(?:(\w+)\s+)?"github\.com\/aws\/aws-sdk-go-v2\/service\/(\w+)"$/gm;

/** internal/awsenv/table.go and ttl.go are EnsureTable and EnsureTTL, which only cmd/bootstrap calls (asserted below). */
const NOT_THE_ORCHESTRATOR = new Set(["orchestrator/internal/awsenv/table.go", "orchestrator/internal/awsenv/ttl.go"]);

function text(tree: FileTree, path: string): string {
  return tree.get(path)!.content.toString("utf8");
}

/** IAM actions of the SDK operations the orchestrator's Go code names (their *Input types). */
function calledActions(tree: FileTree): Set<string> {
  const actions = new Set<string>();
  for (const path of tree.keys()) {
    if (!/^orchestrator\/(cmd\/orchestrator|internal)\/.*\.go$/.test(path) || path.endsWith("_test.go")) continue;
    if (NOT_THE_ORCHESTRATOR.has(path)) continue;
    const src = text(tree, path);
    for (const [, alias, service] of src.matchAll(SDK_SERVICE)) {
      const name = alias ?? service!;
      for (const [, op] of src.matchAll(new RegExp(`\\b${name}\\.(\\w+)Input\\b`, "g"))) actions.add(iamAction(service!, op!));
    }
  }
  return actions;
}

function documentedActions(tree: FileTree, overlay: string): Set<string> {
  const comment = text(tree, `deploy/kubernetes/overlays/${overlay}/service-account.yaml`).split("\n").filter((l) => l.startsWith("#"));
  return new Set(comment.flatMap((l) => [...l.matchAll(/\b(?:sqs|kinesis|dynamodb):\w+/g)].map((x) => x[0])));
}

describe.each(PRESETS)("IAM policy, $ingress → $sink", (orchestrator) => {
  const tree = render(
    parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...orchestrator }, workers: [{ name: "scorer" }] }),
  );

  it("lists every AWS action the orchestrator's code calls, and no other", () => {
    const called = [...calledActions(tree)].sort();
    expect(called.length).toBeGreaterThan(3);
    for (const overlay of ["dev", "prod"]) expect([...documentedActions(tree, overlay)].sort()).toEqual(called);
  });

  it("holds the calls the user found missing", () => {
    const called = calledActions(tree);
    if (orchestrator.ingress === "sqs") for (const a of ["sqs:GetQueueUrl", "sqs:SendMessage", "sqs:DeleteMessage"]) expect(called).toContain(a);
    if (orchestrator.sink === "dynamodb") for (const a of ["dynamodb:GetItem", "dynamodb:UpdateItem"]) expect(called).toContain(a);
  });

  it("leaves out only code the orchestrator never runs", () => {
    for (const [path, file] of tree) {
      if (!path.endsWith(".go") || path.endsWith("_test.go") || path.startsWith("orchestrator/cmd/bootstrap/") || NOT_THE_ORCHESTRATOR.has(path)) continue;
      expect(file.content.toString("utf8"), path).not.toMatch(/\bEnsure(Table|TTL)\(/);
    }
  });
});
