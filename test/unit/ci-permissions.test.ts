import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { CI_FILES } from "../../src/render/ci-jobs.js";
import { render } from "../../src/render/index.js";

/**
 * Least privilege in the GitHub workflow: every job holds exactly the token
 * permissions its steps need (the workflow grants contents: read to all), and
 * no checkout leaves the token on disk, since no job pushes to git.
 */
interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string | boolean | number>;
}
interface Workflow {
  permissions: Record<string, string>;
  jobs: Record<string, { permissions?: Record<string, string>; steps: Step[] }>;
}

/** What a step needs of the job token beyond contents: read. */
function needs(step: Step): Record<string, string> {
  const action = step.uses?.split("@")[0];
  // Lists a pull request's files with pulls.listFiles; a private repository refuses it without this.
  if (action === "dorny/paths-filter") return { "pull-requests": "read" };
  // Signs provenance with an OIDC token and stores it as an attestation.
  if (action === "actions/attest") return { "id-token": "write", attestations: "write" };
  // Logs in to ghcr.io with the job token, to push packages.
  if (action === "docker/login-action" && String(step.with?.password).includes("secrets.GITHUB_TOKEN")) return { packages: "write" };
  return {};
}

const presets: [string, string][] = [
  ["ghcr.io (a github.com module)", "github.com/acme/risk-api/orchestrator"],
  ["registry.gitlab.com", "gitlab.com/acme/risk-api/orchestrator"],
  ["registry.example.com (the default)", "example.com/risk-api/orchestrator"],
];

describe.each(presets)("GitHub workflow pushing to %s", (_, module) => {
  const m = parseManifest({ name: "risk-api", orchestrator: { module }, ci: { providers: ["github", "gitlab"] } });
  const gh = parse(render(m).get(CI_FILES.github)!.content.toString("utf8")) as Workflow;

  it("gives each job exactly what its steps need", () => {
    expect(gh.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(gh.jobs)) {
      const wanted = Object.assign({}, ...job.steps.map(needs)) as Record<string, string>;
      const expected = Object.keys(wanted).length ? { contents: "read", ...wanted } : undefined;
      expect(job.permissions, name).toEqual(expected);
    }
    // The cases that were wrong: the filter job lacked pull-requests: read; publish asked for packages: write for any registry.
    expect(gh.jobs.changes!.permissions).toEqual({ contents: "read", "pull-requests": "read" });
    expect(gh.jobs.publish!.permissions!.packages).toBe(m.ci.registry.startsWith("ghcr.io/") ? "write" : undefined);
  });

  it("keeps the token out of every checkout, and no step needs git credentials", () => {
    for (const [name, job] of Object.entries(gh.jobs)) {
      for (const step of job.steps) {
        if (step.uses?.startsWith("actions/checkout@")) expect(step.with?.["persist-credentials"], name).toBe(false);
        expect(step.run ?? "", name).not.toMatch(/\bgit (push|pull|fetch|ls-remote)\b/);
      }
    }
  });
});
