import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest, type Manifest, type ManifestInput } from "../../src/manifest.js";
import { CI_FILES, SHARED_JOB, ciImages, ciJobs, ciTimeouts, jobPaths, type CiJob } from "../../src/render/ci-jobs.js";
import { SHARED_CRATES } from "../../src/render/components.js";
import { render, type FileTree } from "../../src/render/index.js";
import { ReadSet } from "../helpers/ci-reads.js";
import { LIB_SCRIPTS } from "../helpers/run-script-repo.js";

/**
 * The generated CI is held to the job table (src/render/ci-jobs.ts), and the
 * table to what the jobs' commands really read: for every preset, each file a
 * job uses must trigger it on GitHub (dorny/paths-filter) and GitLab
 * (`rules: changes`) alike, and a publish happens only after every check.
 */
const presets: [string, Partial<ManifestInput>][] = [
  ["http stdlib", {}],
  ["http chi, two workers", { orchestrator: { module: "example.com/shop/orchestrator", router: "chi" }, workers: [{ name: "scorer" }, { name: "pricing" }] } as never],
  ["sqs + dynamodb, no docker", { orchestrator: { module: "example.com/shop/orchestrator", ingress: "sqs" }, docker: false } as never],
  ["kinesis, two workers", { orchestrator: { module: "example.com/shop/orchestrator", ingress: "kinesis" }, workers: [{ name: "scorer" }, { name: "fraud" }] } as never],
];

const manifestOf = (input: Partial<ManifestInput>): Manifest =>
  parseManifest({ name: "shop", orchestrator: { module: "example.com/shop/orchestrator" }, ci: { providers: ["github", "gitlab"] }, ...input });

const text = (tree: FileTree, path: string) => tree.get(path)!.content.toString("utf8");
// dorny/paths-filter matches with picomatch and dot: true; the table keeps to globs GitLab's fnmatch reads the same way.
const matches = (globs: string[], file: string) => globs.some((g) => picomatch(g, { dot: true })(file));
const SAFE_GLOB = /^(?:(?:[\w.-]+|\*)\/)*(?:[\w.-]+|\*\*\/\*)$/;

interface Workflow {
  permissions: Record<string, string>;
  concurrency: { group: string; "cancel-in-progress": string };
  jobs: Record<string, { needs?: string | string[]; if?: string; "timeout-minutes"?: number; outputs?: Record<string, string>; permissions?: Record<string, string>; steps: { uses?: string; if?: string; with?: Record<string, string> }[] }>;
}
type GitLab = Record<string, { timeout?: string; rules?: { if?: string; changes?: string[]; when?: string }[]; needs?: { job: string; optional?: boolean }[]; image?: string }>;
/** GitLab's changes rule of a filtered job, which follows the rule that runs it outside merge requests. */
const changesOf = (gl: GitLab, job: string) => gl[job]!.rules!.find((r) => r.changes)!.changes!;
const NOT_A_MERGE_REQUEST = '$CI_PIPELINE_SOURCE != "merge_request_event"';

describe.each(presets)("CI of %s", (_, input) => {
  const m = manifestOf(input);
  const tree = render(m);
  const jobs = ciJobs(m);
  const gh = parse(text(tree, CI_FILES.github)) as Workflow;
  const gl = parse(text(tree, CI_FILES.gitlab)) as GitLab;
  const filters = parse(gh.jobs.changes!.steps.find((s) => s.uses?.startsWith("dorny/paths-filter@"))!.with!.filters!) as Record<string, string[]>;
  const filtered = jobs.filter((j): j is CiJob & { reads: string[] } => j.reads !== null);

  it("renders each job's path filter from the table, the same on both providers", () => {
    expect(Object.keys(filters)).toEqual(filtered.map((j) => j.key));
    for (const job of filtered) {
      expect(filters[job.key], job.name).toEqual(jobPaths(job, "github"));
      expect(gl[job.name]?.rules, job.name).toEqual([{ if: NOT_A_MERGE_REQUEST }, { changes: jobPaths(job, "gitlab") }]);
      const own = (paths: string[], provider: keyof typeof CI_FILES) => paths.filter((p) => p !== CI_FILES[provider]);
      expect(own(filters[job.key]!, "github"), job.name).toEqual(own(changesOf(gl, job.name), "gitlab"));
      for (const glob of job.reads) expect(glob, `${job.name}: a glob both providers read alike`).toMatch(SAFE_GLOB);
    }
  });

  it("gives every job of both providers its timeout from the table", () => {
    const timeouts = ciTimeouts(m);
    const glJobs = Object.keys(gl).filter((n) => !n.startsWith(".") && !["workflow", "default", "stages", "variables"].includes(n));
    expect(glJobs.length).toBeGreaterThan(0);
    for (const [name, job] of Object.entries(gh.jobs)) {
      expect(timeouts[name], `${name} is in the table`).toBeGreaterThan(0);
      expect(job["timeout-minutes"], `GitHub ${name}`).toBe(timeouts[name]);
    }
    for (const name of glJobs) {
      expect(timeouts[name], `${name} is in the table`).toBeGreaterThan(0);
      expect(gl[name]!.timeout, `GitLab ${name}`).toBe(`${timeouts[name]}m`);
    }
  });

  it("gates each GitHub job on its own filter, and has no job outside the table", () => {
    const names = jobs.map((j) => j.name);
    expect(Object.keys(gh.jobs).filter((n) => n !== "changes" && n !== "publish").sort()).toEqual([...names].sort());
    expect(Object.keys(gl).filter((n) => !n.startsWith(".") && !["workflow", "default", "stages", "variables", "publish"].includes(n)).sort()).toEqual([...names].sort());
    for (const job of jobs) {
      const cond = gh.jobs[job.name]!.if ?? "";
      if (job.reads) expect(cond, job.name).toContain(`needs.changes.outputs.${job.key} == 'true'`);
      else {
        expect(cond, job.name).not.toContain("needs.changes");
        expect(gl[job.name]!.rules, job.name).toBeUndefined();
      }
    }
  });

  it("triggers every job for every file its commands read, on both providers", () => {
    const reads = new Map<string, ReadSet>();
    const set = () => new ReadSet(tree);
    const bufGen = text(tree, "buf.gen.yaml");
    const proto = set().dir("proto").file("buf.yaml").file("buf.gen.yaml").path(bufOut(bufGen));
    // Its plugins run as `go -C DIR tool ...`: the module's go.mod and go.sum pin them.
    for (const dir of bufGen.matchAll(/"-C", "([^"]+)"/g)) proto.file(`${dir[1]}/go.mod`).file(`${dir[1]}/go.sum`);
    reads.set("proto", proto);
    reads.set("go", set().dir("orchestrator").testdataUsedBy("orchestrator"));
    for (const w of m.workers) reads.set(`rust-${w.name}`, set().crate(w.name));
    reads.set(SHARED_JOB.name, SHARED_CRATES.reduce((r, c) => r.crate(c), set()));
    reads.set("smoke", set().make("smoke"));
    if (m.docker) reads.set("images", ciImages(m).reduce((r, img) => r.dockerBuild(img.dockerfile, img.context), set()));
    // deploy/kubernetes/check.sh builds the overlays (base and its workers) and reads the vendored schemas beside it.
    if (m.deploy.includes("kubernetes")) reads.set("deploy", set().dir("deploy/kubernetes"));
    // Files the GitHub steps hand to actions: setup-go's go.mod and go.sum, the manifests rust-cache keys on.
    for (const [name, job] of Object.entries(gh.jobs)) {
      for (const step of job.steps) {
        const r = reads.get(name);
        const w = step.with ?? {};
        for (const key of ["go-version-file", "cache-dependency-path"]) if (r && w[key]) r.file(w[key]);
        if (r && w.workspaces) r.file(`${w.workspaces}/Cargo.toml`).file(`${w.workspaces}/Cargo.lock`);
      }
    }
    expect([...reads.keys()].sort()).toEqual(filtered.map((j) => j.name).sort());
    for (const job of filtered) {
      const files = [...reads.get(job.name)!.files, CI_FILES.github];
      for (const file of files) expect(matches(filters[job.key]!, file), `${file} triggers ${job.name} on GitHub`).toBe(true);
      const gitlabFiles = [...reads.get(job.name)!.files, CI_FILES.gitlab];
      for (const file of gitlabFiles) expect(matches(changesOf(gl, job.name), file), `${file} triggers ${job.name} on GitLab`).toBe(true);
    }
    // The case that was missed: a change to the smoke test's own scripts or the Makefile runs it.
    const smokeReads = ["scripts/smoke.sh", ...LIB_SCRIPTS, "Makefile", "testdata/vectors.json", ...(m.orchestrator.ingress === "http" ? [] : ["scripts/emulator.sh"])];
    for (const file of smokeReads) expect(reads.get("smoke")!.files.has(file), file).toBe(true);
  });

  // A filter on main let a README-only commit after a failed smoke skip smoke and publish the code it failed on.
  it("filters only pull and merge requests: on the default branch every check runs on every commit", () => {
    const changes = gh.jobs.changes!;
    const filterStep = changes.steps.find((s) => s.uses?.startsWith("dorny/paths-filter@"))!;
    expect(filterStep.if).toBe("github.event_name == 'pull_request'");
    expect(Object.keys(changes.outputs!)).toEqual(filtered.map((j) => j.key));
    for (const job of filtered) {
      expect(changes.outputs![job.key], job.name).toBe(`\${{ github.event_name != 'pull_request' || steps.filter.outputs.${job.key} == 'true' }}`);
    }
    // GitLab runs pipelines for merge requests and the default branch only; a job's first rule runs it in every non-MR one.
    expect((gl.workflow as unknown as { rules: { if: string }[] }).rules.map((r) => r.if)).toEqual([
      '$CI_PIPELINE_SOURCE == "merge_request_event"',
      "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
    ]);
    for (const job of filtered) expect(gl[job.name]!.rules![0], job.name).toEqual({ if: NOT_A_MERGE_REQUEST });
  });

  it("publishes only from the default branch, after every check, with least privilege", () => {
    expect(gh.permissions).toEqual({ contents: "read" });
    expect(gh.concurrency["cancel-in-progress"]).toBe("${{ github.event_name == 'pull_request' }}");
    // Each job's own permissions: test/unit/ci-permissions.test.ts.
    if (!m.docker) {
      expect(gh.jobs.publish).toBeUndefined();
      expect(gl.publish).toBeUndefined();
      return;
    }
    const publish = gh.jobs.publish!;
    expect(publish.needs).toEqual(["changes", ...jobs.map((j) => j.name)]);
    expect(publish.if).toMatch(/github\.event_name == 'push' && github\.ref == 'refs\/heads\/main'/);
    // Every check ran and passed: a skipped one is not tolerated, nor is a run that goes on past a failure.
    expect(publish.if).toContain("success()");
    expect(publish.if).toContain("!contains(needs.*.result, 'skipped')");
    expect(publish.if).not.toMatch(/always\(\)|!cancelled\(\)|failure\(\)/);
    // One job pushes every image by commit SHA; only then does a single step move latest.
    const pushes = publish.steps.filter((s) => /skopeo copy[\s\S]*oci-archive:/.test((s as { run?: string }).run ?? ""));
    expect(pushes.length).toBe(ciImages(m).length);
    for (const s of pushes) expect((s as { run?: string }).run).toMatch(/docker:\/\/\$\{REGISTRY\}\/[\w-]+:\$\{GITHUB_SHA\}"/);
    const last = publish.steps.at(-1) as { run?: string };
    expect(last.run?.match(/skopeo copy --all --preserve-digests "docker:[^"]+:\$\{GITHUB_SHA\}" "docker:[^"]+:latest"/g)?.length).toBe(ciImages(m).length);

    // A push only (a schedule would rebuild a published commit), and every check is a hard need: none is optional.
    expect(gl.publish!.rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"' }]);
    expect(gl.publish!.needs).toEqual(jobs.map((j) => ({ job: j.name })));
  });

  // Publish rebuilt every image, so what reached the registry was not what the images job had built and the checks passed on.
  if (m.docker) it("publishes the very images the images job built: it builds nothing, it pushes their archives", () => {
    const built = gh.jobs.images!.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"))!;
    expect(built.with).toMatchObject({ push: false, sbom: true, provenance: "mode=max" });
    const dest = /^type=oci,dest=(.+)$/.exec(built.with!.outputs ?? "")?.[1];
    expect(dest, "the images job writes an OCI archive").toBe("${{ runner.temp }}/${{ matrix.image }}.tar");
    const kept = gh.jobs.images!.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;
    expect(kept.with).toMatchObject({ name: "image-${{ matrix.image }}", path: dest });
    // Kept on main only: a pull request's build goes nowhere.
    expect(kept.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");

    const publish = gh.jobs.publish!;
    const runs = publish.steps.map((s) => (s as { run?: string }).run ?? "").join("\n");
    expect(publish.steps.filter((s) => /^docker\/(build-push|setup-buildx)-action@/.test(s.uses ?? ""))).toEqual([]);
    expect(runs).not.toMatch(/docker (buildx )?build|docker push/);
    const fetched = publish.steps.find((s) => s.uses?.startsWith("actions/download-artifact@"))!;
    expect(fetched.with).toMatchObject({ pattern: "image-*", path: "${{ runner.temp }}/images", "merge-multiple": true });
    for (const img of ciImages(m)) {
      const step = publish.steps.find((s) => (s as { id?: string }).id === img.name) as { run?: string };
      expect(step.run, img.name).toContain(`"oci-archive:\${RUNNER_TEMP}/images/${img.name}.tar" "docker://\${REGISTRY}/${img.name}:\${GITHUB_SHA}"`);
      expect(step.run, `${img.name}: the digest pushed is the digest built`).toContain("--preserve-digests");
    }

    const glImages = gl.images as unknown as { script: string[]; artifacts: { paths: string[] } };
    expect(glImages.script.join("\n")).toContain('--output "type=oci,dest=image-${IMAGE_NAME}.tar"');
    expect(glImages.artifacts.paths).toEqual(["image-$IMAGE_NAME.tar"]);
    const glPublish = gl.publish as unknown as { script: string[]; needs: { job: string; artifacts?: boolean }[] };
    expect(glPublish.needs.find((n) => n.job === "images")?.artifacts, "the need brings the archives").not.toBe(false);
    expect(glPublish.script.join("\n")).not.toMatch(/docker (buildx )?build|docker push/);
    for (const img of ciImages(m)) {
      const push = glPublish.script.find((l) => l.includes(`"oci-archive:image-${img.name}.tar" "docker://\${REGISTRY}/${img.name}:\${CI_COMMIT_SHA}"`));
      expect(push, `${img.name}: the digest pushed is the digest built`).toMatch(/^skopeo copy --all --preserve-digests /);
    }
  });

  it("pins every action by commit and every base image by digest", () => {
    for (const job of Object.values(gh.jobs)) {
      for (const s of job.steps) if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    }
    const dockerfiles = [...tree.keys()].filter((p) => p.endsWith("Dockerfile"));
    expect(dockerfiles.length).toBe(m.docker ? 1 + m.workers.length : 0);
    for (const path of dockerfiles) {
      for (const from of text(tree, path).matchAll(/^FROM (\S+)/gm)) {
        const [ref, digest] = from[1]!.split("@");
        expect(digest, `${path}: ${from[1]}`).toBe(m.images[ref!]);
      }
    }
    for (const base of [".go", ".rust"]) expect(gl[base]!.image).toMatch(/^[\w.:-]+@sha256:[0-9a-f]{64}$/);
  });

  if (m.docker) it("gives each worker longer than its drain before compose kills it", () => {
    const compose = parse(text(tree, "docker-compose.yml")) as { services: Record<string, { stop_grace_period?: string }> };
    for (const w of m.workers) {
      const drain = Number(text(tree, `workers/${w.name}/src/config.rs`).match(/name: "SHUTDOWN_GRACE_SECS",\s+default: "(\d+)"/)![1]);
      const grace = Number(compose.services[w.name]!.stop_grace_period!.replace(/s$/, ""));
      expect(grace, w.name).toBeGreaterThan(drain);
    }
  });

  if (m.docker) it("has the local scripts wait for each service's exit as long as compose does", () => {
    const compose = parse(text(tree, "docker-compose.yml")) as { services: Record<string, { stop_grace_period?: string }> };
    const composeGrace = (service: string) => Number(compose.services[service]!.stop_grace_period!.replace(/s$/, ""));
    for (const script of ["scripts/run.sh", "scripts/smoke.sh", "scripts/bench.sh"]) {
      const body = text(tree, script);
      const orchestrator = /^orchestrator_grace=(\d+)/m.exec(body)?.[1];
      // smoke and bench give every worker one grace; run.sh gives each its own, from the
      // SHUTDOWN_GRACE_SECS it hands that worker, and this default when it hands none.
      const worker = /^(?:orchestrator_grace=\d+ )?worker_grace=(\d+)/m.exec(body)?.[1] ?? /^worker_grace\(\) \{\n(?:.*\n)*?\s+else\n\s+echo (\d+)\n/m.exec(body)?.[1];
      // A queue preset's bench drives the worker alone: no orchestrator, so no grace for one.
      if (orchestrator === undefined) expect(body, script).not.toMatch(/bin\/(orchestrator|\$server)\b/);
      else expect(Number(orchestrator), script).toBe(composeGrace("orchestrator"));
      for (const w of m.workers) expect(Number(worker), `${script}: ${w.name}`).toBe(composeGrace(w.name));
      // Every stop names its grace: none falls back to a figure of its own.
      for (const call of body.matchAll(/^\s*(?:(?:for|if) .*; (?:do|then) )?stop (.*?)(?:;|\|\||$)/gm)) {
        expect(call[1], `${script}: stop ${call[1]}`).toMatch(/ "\$(?:(?:orchestrator|worker|tool)_grace|\{worker_graces\[\$i\]\})"\s*$/);
      }
    }
  });
});

/** The folder buf generate writes to, which the proto job diffs against the committed stubs. */
function bufOut(bufGen: string): string {
  const out = bufGen.match(/^\s+out:\s*(\S+)/m)?.[1];
  if (!out) throw new Error("buf.gen.yaml names no out folder");
  return out;
}

describe("the README's CI section names every job either provider's CI file runs", () => {
  it.each(presets)("%s", (_name, input) => {
    const m = manifestOf(input);
    const tree = render(m);
    const readme = text(tree, "README.md");
    const section = readme.slice(readme.indexOf("\n## CI\n"), readme.indexOf("\n## ", readme.indexOf("\n## CI\n") + 1));
    const gitlab = parse(text(tree, ".gitlab-ci.yml")) as GitLab;
    // The shared crates' job is listed by name; each worker's through rust-NAME.
    const named = Object.keys(gitlab).filter((k) => !k.startsWith(".") && !["workflow", "default", "stages", "variables"].includes(k));
    // GitHub's too, but for changes, which lists a pull request's files and checks nothing.
    const github = Object.keys((parse(text(tree, CI_FILES.github)) as Workflow).jobs).filter((k) => k !== "changes");
    expect(github.length).toBeGreaterThan(0);
    for (const job of new Set([...named, ...github])) {
      const listed = job.startsWith("rust-") && job !== SHARED_JOB.name ? "**rust-NAME**" : `**${job}**`;
      expect(section, `${job} is not described in the README's CI section`).toContain(listed);
    }
  });
});
