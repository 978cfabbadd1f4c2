import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { writeTree } from "../../src/write/create.js";
import { tempDir } from "../helpers/cli.js";

/**
 * Every container the overlays build, sidecars included, reports its last log
 * lines as its termination message when it fails: a bad setting's one-line
 * exit 2 is then in `kubectl describe pod` (Last State), not only in logs the
 * next restart rotates away.
 */
interface Container {
  name: string;
  terminationMessagePolicy?: string;
}
interface Obj {
  kind: string;
  metadata: { name: string };
  spec?: { template?: { spec: { containers: Container[]; initContainers?: Container[] } } };
}

describe.each(["tcp", "uds"] as const)("termination messages, %s workers", (transport) => {
  it.each(["http", "sqs", "kinesis"] as const)("%s: every container falls back to its logs", (ingress) => {
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
      workers: [{ name: "scorer", transport }, { name: "pricing", transport }],
    });
    const dir = join(tempDir("chb-termmsg-"), "repo");
    mkdirSync(dir);
    writeTree(dir, render(m));
    const objs = parseAllDocuments(execFileSync("kubectl", ["kustomize", join(dir, "deploy/kubernetes/overlays/prod")], { encoding: "utf8" })).map((d) => d.toJS() as Obj);
    const containers = objs.flatMap((o) => [...(o.spec?.template?.spec.containers ?? []), ...(o.spec?.template?.spec.initContainers ?? [])].map((c) => [`${o.metadata.name}/${c.name}`, c.terminationMessagePolicy]));
    expect(containers.map(([n]) => n).sort()).toEqual(
      (transport === "tcp" ? ["orchestrator/orchestrator", "pricing/pricing", "scorer/scorer"] : ["orchestrator/orchestrator", "orchestrator/pricing", "orchestrator/scorer"]).sort(),
    );
    expect(containers.filter(([, p]) => p !== "FallbackToLogsOnError").map(([n, p]) => `${n}: ${p ?? "unset (File)"}`)).toEqual([]);
  });
});
