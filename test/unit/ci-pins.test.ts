import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { baseImages, parseManifest, type Manifest } from "../../src/manifest.js";
import { CI_FILES } from "../../src/render/ci-jobs.js";
import { render } from "../../src/render/index.js";

/**
 * Everything the generated CI pulls is pinned by digest, from the manifest's
 * `images` (the one source, which the schema requires for every reference
 * the project uses): each job and service image of GitLab, the BuildKit image
 * of both providers' builders, and the rustup installer, checked by sha256
 * rather than piped from the network into a shell. GitLab's image jobs log in
 * to the registry before BuildKit touches its cache.
 */
type Image = string | { name: string };
type GitLabJob = { extends?: string | string[]; image?: Image; services?: Image[]; before_script?: string[]; script?: string[] };
type Workflow = { jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, string> }[] }> };

const presets: [string, Record<string, unknown>][] = [
  ["docker, both providers", {}],
  ["no docker, both providers", { docker: false, deploy: [] }],
  ["docker on registry.gitlab.com", { orchestrator: { module: "gitlab.com/acme/risk-api/orchestrator" } }],
  ["sqs, both providers", { orchestrator: { ingress: "sqs" } }],
];
const manifestOf = (extra: Record<string, unknown>): Manifest =>
  parseManifest({ name: "risk-api", ci: { providers: ["github", "gitlab"] }, ...extra, orchestrator: { module: "example.com/risk-api/orchestrator", ...(extra.orchestrator as object) } });

const nameOf = (image: Image) => (typeof image === "string" ? image : image.name);
/** REF@sha256:... split, checked against the manifest. */
function expectPinned(m: Manifest, pinned: string, where: string): string {
  const [ref, digest] = pinned.split("@");
  expect(digest, `${where}: ${pinned}`).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(digest, `${where}: ${ref} is pinned from the manifest's images`).toBe(m.images[ref!]);
  return ref!;
}

/** A GitLab job's before_script and script, with what it extends resolved (the last template wins, as in GitLab). */
function effective(gl: Record<string, GitLabJob>, name: string): { before: string[]; script: string[] } {
  const job = gl[name]!;
  const parents = ([] as string[]).concat(job.extends ?? []).map((p) => effective(gl, p));
  const before = job.before_script ?? parents.reverse().find((p) => p.before.length)?.before ?? [];
  return { before, script: job.script ?? [] };
}

describe.each(presets)("CI of %s", (_, extra) => {
  const m = manifestOf(extra);
  const tree = render(m);
  const text = (path: string) => tree.get(path)!.content.toString("utf8");
  const gl = parse(text(CI_FILES.gitlab)) as Record<string, GitLabJob>;
  const gh = parse(text(CI_FILES.github)) as Workflow;
  const jobs = Object.entries(gl).filter(([, j]) => j && typeof j === "object" && !Array.isArray(j) && ("script" in j || "before_script" in j || "image" in j || "extends" in j));

  it("pins every GitLab job and service image by its digest in the manifest", () => {
    const used = new Set<string>();
    for (const [name, job] of jobs) {
      for (const image of [...(job.image ? [job.image] : []), ...(job.services ?? [])]) used.add(expectPinned(m, nameOf(image), name));
    }
    for (const ref of used) expect(baseImages(m), `${ref} is required by the schema`).toContain(ref);
    // Every job runs in a pinned image, its own or one it extends (none falls back to the runner's default).
    for (const [name] of jobs.filter(([n]) => !n.startsWith("."))) {
      const chain = (n: string): GitLabJob[] => [gl[n]!, ...([] as string[]).concat(gl[n]!.extends ?? []).flatMap(chain)];
      expect(chain(name).some((j) => j.image), `${name} has an image`).toBe(true);
    }
  });

  it("pins the BuildKit image of every builder on both providers", () => {
    const creates = jobs.flatMap(([, j]) => [...(j.before_script ?? []), ...(j.script ?? [])]).filter((l) => l.includes("buildx create"));
    const setups = Object.values(gh.jobs).flatMap((j) => j.steps).filter((s) => s.uses?.startsWith("docker/setup-buildx-action@"));
    expect(creates.length > 0, "GitLab builds images").toBe(m.docker);
    expect(setups.length > 0, "GitHub builds images").toBe(m.docker);
    for (const line of creates) expectPinned(m, /--driver-opt "image=([^"]+)"/.exec(line)?.[1] ?? "", "buildx create");
    for (const step of setups) expectPinned(m, /^image=(\S+)$/.exec(step.with?.["driver-opts"] ?? "")?.[1] ?? "", "setup-buildx-action");
  });

  it("checks every download a script makes against a recorded sha256, and pipes none into a shell", () => {
    const scripts = [...jobs.flatMap(([, j]) => [...(j.before_script ?? []), ...(j.script ?? [])]), ...Object.values(gh.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""))];
    for (const script of scripts) {
      expect(script).not.toMatch(/\b(curl|wget)\b[^\n]*\|\s*(ba)?sh\b/);
      if (!/\b(curl|wget)\b/.test(script)) continue;
      expect(script).toMatch(/sha256sum -c/);
      // Every sha256 a download is checked against comes from the manifest's images (one source).
      const sums = [...script.matchAll(/\b([0-9a-f]{64})\b/g)].map((s) => `sha256:${s[1]}`);
      if (!/sum=\$\{?\w/.test(script)) expect(sums.length, script).toBeGreaterThan(0);
      for (const sum of sums) expect(Object.values(m.images)).toContain(sum);
    }
  });

  it("installs every package and tool at an exact version, and brings no tool of the runner's own", () => {
    const scripts = [...jobs.flatMap(([, j]) => [...(j.before_script ?? []), ...(j.script ?? [])]), ...Object.values(gh.jobs).flatMap((j) => j.steps.map((s) => s.run ?? ""))];
    const args = (line: string, verb: RegExp) => line.split(verb)[1]!.split(/[;&|>]/)[0]!.trim().split(/\s+/).filter((a) => a && !a.startsWith("-")).map((a) => a.replace(/^"|"$/g, ""));
    let packages = 0;
    for (const script of scripts) {
      for (const line of script.split("\n")) {
        for (const verb of [/\bapt-get install\b/, /\bapk add\b/]) {
          if (!verb.test(line)) continue;
          for (const pkg of args(line, verb)) {
            packages++;
            expect(pkg, `${line}: NAME=VERSION`).toMatch(/^[a-z0-9][a-z0-9.+-]*=[0-9][\w.+~:-]*$/);
          }
        }
        // npm's global installs check no recorded integrity; the runner's preinstalled rustup is whatever the image had.
        expect(line, "npm install").not.toMatch(/\bnpm (install|i)\b/);
        expect(line, "the runner's rustup").not.toMatch(/\brustup (toolchain install|default|update|self update)\b/);
        expect(line, "pip install").not.toMatch(/\bpip3? install\b(?![^\n]*==)/);
      }
    }
    expect(packages, "GitLab's smoke (apt) and publish (apk) install packages").toBe((m.orchestrator.ingress !== "http" ? 1 : 0) + (m.docker ? 1 : 0));
  });

  if (m.docker) it("logs GitLab's image jobs in before BuildKit or skopeo reads or writes the registry", () => {
    for (const name of ["images", "publish"]) {
      const { before, script } = effective(gl, name);
      const lines = [...before, ...script];
      const login = lines.findIndex((l) => /(docker|skopeo) login/.test(l));
      const registry = lines.findIndex((l) => /type=registry|--push|imagetools|docker:\/\//.test(l));
      expect(registry, `${name} uses the registry`).toBeGreaterThanOrEqual(0);
      expect(login, `${name} logs in`).toBeGreaterThanOrEqual(0);
      expect(login, `${name} logs in before its first registry command`).toBeLessThan(registry);
    }
  });
});

it("gives a manifest recorded before a pin existed the default pin, keeping the ones it recorded", () => {
  const old = {
    "golang:1.26-bookworm": `sha256:${"1".repeat(64)}`,
    "rust:1.95-bookworm": `sha256:${"2".repeat(64)}`,
    "gcr.io/distroless/static-debian12:nonroot": `sha256:${"3".repeat(64)}`,
    "gcr.io/distroless/cc-debian12:nonroot": `sha256:${"4".repeat(64)}`,
  };
  const m = manifestOf({ images: old });
  expect(m.images).toMatchObject(old);
  for (const ref of baseImages(m)) expect(m.images[ref], ref).toMatch(/^sha256:[0-9a-f]{64}$/);
});
