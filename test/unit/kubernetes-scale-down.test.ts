import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { SCALE_DOWN } from "../../src/render/kubernetes.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Every autoscaler the overlays build (each HPA, and the one KEDA creates
 * from the ScaledObject) removes replicas at SCALE_DOWN's rate, never the
 * default's whole surplus in one step; scaling up keeps the defaults.
 */
interface Behavior {
  scaleDown?: { stabilizationWindowSeconds: number; policies: { type: string; value: number; periodSeconds: number }[]; selectPolicy?: string };
  scaleUp?: unknown;
}
interface Obj {
  kind: string;
  metadata: { name: string };
  spec: { behavior?: Behavior; advanced?: { horizontalPodAutoscalerConfig?: { behavior?: Behavior } } };
}

const expected = {
  stabilizationWindowSeconds: SCALE_DOWN.stabilizationWindowSeconds,
  policies: [
    { type: "Percent", value: SCALE_DOWN.percent, periodSeconds: SCALE_DOWN.periodSeconds },
    { type: "Pods", value: SCALE_DOWN.pods, periodSeconds: SCALE_DOWN.periodSeconds },
  ],
};

describe.each(["http", "sqs", "kinesis"] as const)("scale-down rate, %s", (ingress) => {
  it.each(["dev", "prod"])("%s: every autoscaler", (overlay) => {
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
      workers: [{ name: "scorer", transport: "tcp" }, { name: "pricing", transport: "uds" }],
    });
    const dir = join(tempDir("chb-scaledown-"), "repo");
    mkdirSync(dir);
    writeTree(dir, render(m));
    const objs = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays", overlay)], { encoding: "utf8" })).map((d) => d.toJS() as Obj);
    const scalers = objs.filter((o) => o.kind === "HorizontalPodAutoscaler" || o.kind === "ScaledObject");
    expect(scalers.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [ingress === "http" ? "HorizontalPodAutoscaler/orchestrator" : "ScaledObject/orchestrator", "HorizontalPodAutoscaler/scorer"].sort(),
    );
    for (const o of scalers) {
      const behavior = o.kind === "ScaledObject" ? o.spec.advanced?.horizontalPodAutoscalerConfig?.behavior : o.spec.behavior;
      expect(behavior, `${o.kind}/${o.metadata.name}`).toStrictEqual({ scaleDown: expected });
    }
  });
});
