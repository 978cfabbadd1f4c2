import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { CI_FILES } from "../../src/render/ci-jobs.js";
import { render } from "../../src/render/index.js";

/**
 * GitLab publishes with the job's own credentials (the predefined
 * CI_REGISTRY_USER and CI_REGISTRY_PASSWORD) whenever ci.registry is the
 * project's own registry, CI_REGISTRY_IMAGE, with nothing to set up: the
 * pipeline used to ask for REGISTRY_USER and REGISTRY_PASSWORD unless the
 * registry was spelt registry.gitlab.com/, so a self-hosted GitLab's own
 * registry needed them too. For any other registry the team's REGISTRY_USER
 * and REGISTRY_PASSWORD (project variables, which take precedence) are used;
 * with neither, publish stops naming the registry to set. The jobs' own shell
 * runs here, with GitLab's variables as a pipeline gets them and the tools
 * that log in replaced by a line saying what they were asked.
 */

type Job = { variables?: Record<string, string>; before_script?: string[] };

const JOB_TOKEN = "job-token";

function pipeline(module: string) {
  const m = parseManifest({ name: "risk-api", orchestrator: { module }, ci: { providers: ["gitlab"] } });
  const doc = parse(render(m).get(CI_FILES.gitlab)!.content.toString("utf8")) as Record<string, Job>;
  return { registry: m.ci.registry, doc };
}

/**
 * Runs a job's before_script in sh. GitLab sets the predefined variables, then
 * the file's (expanding $CI_REGISTRY_USER in them), and a project variable of
 * the same name wins over the file's.
 */
async function runBefore(job: Job, variables: Record<string, string>, predefined: Record<string, string>, project: Record<string, string>) {
  const expand = (v: string) => v.replace(/\$(\w+)/g, (_, name: string) => predefined[name] ?? "");
  const fileVars = Object.fromEntries(Object.entries({ ...variables, ...job.variables }).map(([k, v]) => [k, expand(String(v))]));
  const stubs = [
    'docker() { [ "$1" = login ] && echo "login $2 as $4 with $(cat)"; return 0; }',
    'skopeo() { [ "$1" = login ] && echo "login $2 as $4 with $(cat)"; return 0; }',
    "apk() { return 0; }",
  ];
  const script = [...stubs, ...job.before_script!.filter((line) => !line.startsWith("docker buildx create"))].join("\n");
  return execa("sh", ["-euc", script], { env: { PATH: process.env.PATH!, ...predefined, ...fileVars, ...project }, extendEnv: false, reject: false });
}

const own = (image: string) => ({ CI_REGISTRY: image.split("/")[0]!, CI_REGISTRY_IMAGE: image, CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: JOB_TOKEN });

describe("GitLab: publish logs in with the job's own credentials to the project's registry", () => {
  const cases: [string, string, string][] = [
    ["gitlab.com", "gitlab.com/acme/risk-api/orchestrator", "registry.gitlab.com/acme/risk-api"],
    ["a self-hosted GitLab", "gitlab.acme.io/team/risk-api/orchestrator", "registry.gitlab.acme.io/team/risk-api"],
  ];
  it.each(cases)("%s: nothing to set up", async (_, module, image) => {
    const { registry, doc } = pipeline(module);
    expect(registry).toBe(image);
    const vars = doc[".registry"]!.variables!;
    expect(vars).toMatchObject({ REGISTRY: registry, REGISTRY_USER: "$CI_REGISTRY_USER", REGISTRY_PASSWORD: "$CI_REGISTRY_PASSWORD" });
    for (const name of ["publish", ".docker"]) {
      const r = await runBefore(doc[name]!, vars, own(image), {});
      expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toContain(`login ${image.split("/")[0]} as gitlab-ci-token with ${JOB_TOKEN}`);
    }
  });
});

describe("GitLab: another registry than the project's", () => {
  // The default for a module on no code host: registry.example.com/..., a placeholder.
  const { registry, doc } = pipeline("example.com/risk-api/orchestrator");
  const vars = doc[".registry"]!.variables!;
  const project = "registry.gitlab.com/acme/risk-api";

  it("publish stops naming ci.registry and the project's registry to set it to, when the team gave no credentials", async () => {
    const r = await runBefore(doc.publish!, vars, own(project), {});
    expect(r.exitCode).toBe(1);
    expect(r.stdout).not.toContain("login");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`no credentials for ${registry} (ci.registry in hybrid-backend.json)`);
    expect(r.stderr).toContain(project);
  });

  it("the images jobs build without the registry cache rather than fail logging in", async () => {
    const r = await runBefore(doc[".docker"]!, vars, own(project), {});
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("login");
    expect(r.stdout).toContain(`no credentials for ${registry} in this pipeline: no registry cache`);
  });

  it("the team's REGISTRY_USER and REGISTRY_PASSWORD, project variables, take precedence", async () => {
    for (const name of ["publish", ".docker"]) {
      const r = await runBefore(doc[name]!, vars, own(project), { REGISTRY_USER: "bot", REGISTRY_PASSWORD: "s3cret" });
      expect(r.exitCode, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stdout, name).toContain(`login ${registry.split("/")[0]} as bot with s3cret`);
    }
  });
});
