import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { TEMPLATES_DIR } from "../../src/paths.js";
import { TEMPLATE_MEMBER, lockPackages, workspaceLock } from "../../src/render/cargo-lock.js";
import { SHARED_CRATES, WORKSPACE_VERSION } from "../../src/render/components.js";
import { render } from "../../src/render/index.js";
import { LOCKED_CRATES } from "../../src/worker-names.js";

const templateLock = readFileSync(join(TEMPLATES_DIR, "rust-workspace", "Cargo.lock"), "utf8");

const repo = (workers: string[], ingress = "http") =>
  render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress }, workers: workers.map((name) => ({ name })) }));

const text = (tree: ReturnType<typeof render>, path: string) => {
  const entry = tree.get(path);
  if (!entry) throw new Error(`${path} not rendered`);
  return entry.content.toString("utf8");
};

describe("workspace Cargo.lock", () => {
  it("is the template itself for the default worker", () => {
    expect(workspaceLock(templateLock, [TEMPLATE_MEMBER], WORKSPACE_VERSION)).toBe(templateLock);
  });

  it("has one member entry per worker, in cargo's order (sorted by name)", () => {
    const lock = workspaceLock(templateLock, ["scorer", "pricing", "aardvark", "zeta9"], WORKSPACE_VERSION);
    const names = lockPackages(lock);
    expect(names).toEqual([...names].sort());
    for (const w of ["scorer", "pricing", "aardvark", "zeta9"]) expect(names.filter((n) => n === w)).toHaveLength(1);
    expect(names).toHaveLength(lockPackages(templateLock).length + 3);
    // The copy has the member's dependencies and, like every workspace member, no source or checksum.
    const entry = lock.split("\n[[package]]\n").find((b) => b.startsWith('name = "pricing"\n'))!;
    // A worker builds on the shared crates, not on its own copy of their dependencies.
    expect(entry).toMatch(/^name = "pricing"\nversion = "0\.1\.0"\ndependencies = \[\n(?: "[\w-]+",\n)* "worker-kit",\n "worker-model",\n\]\n/);
    expect(entry).not.toMatch(/"(axum|prometheus|opentelemetry|tonic-prost-build|protox)"/);
    expect(entry).not.toMatch(/source|checksum/);
    expect(lock.endsWith("\n") && !lock.endsWith("\n\n")).toBe(true);
  });

  it("gives every workspace crate the workspace's version, and no dependency", () => {
    const lock = workspaceLock(templateLock, ["scorer", "pricing"], "2.3.4");
    const version = (name: string) => /^version = "([^"]+)"$/m.exec(lock.split("\n[[package]]\n").find((b) => b.startsWith(`name = "${name}"\n`))!)![1];
    for (const crate of ["scorer", "pricing", ...SHARED_CRATES]) expect(version(crate)).toBe("2.3.4");
    expect(version("tokio")).not.toBe("2.3.4");
  });

  it("takes the workspace's version in Cargo.toml from WORKSPACE_VERSION alone, path dependencies included", () => {
    const hbs = readFileSync(join(TEMPLATES_DIR, "rust-workspace", "Cargo.toml.hbs"), "utf8");
    expect(hbs).not.toContain(`"${WORKSPACE_VERSION}"`);
    const toml = text(repo(["scorer"]), "workers/Cargo.toml");
    expect(toml).toMatch(new RegExp(`\\[workspace\\.package\\]\\nversion = "${WORKSPACE_VERSION}"\\n`));
    for (const crate of SHARED_CRATES) expect(toml).toContain(`${crate} = { path = "${crate}", version = "${WORKSPACE_VERSION}" }`);
  });

  it("refuses a worker named like a dependency", () => {
    expect(() => workspaceLock(templateLock, ["tokio"], WORKSPACE_VERSION)).toThrow(/dependency/);
  });

  it("keeps LOCKED_CRATES equal to the lock's dependencies a worker name could collide with", () => {
    const fit = new Set(lockPackages(templateLock).filter((n) => /^[a-z][a-z0-9]{1,23}$/.test(n) && n !== TEMPLATE_MEMBER));
    expect([...LOCKED_CRATES].sort()).toEqual([...fit].sort());
  });
});

describe("several workers", () => {
  const one = repo(["scorer"]);
  const two = repo(["scorer", "pricing"]);

  it("renders each worker as its own crate in the workspace", () => {
    expect(text(two, "workers/Cargo.toml")).toMatch(/members = \[\n {4}"worker-kit",\n {4}"worker-model",\n {4}"scorer",\n {4}"pricing",\n\]/);
    expect(text(two, "workers/pricing/Cargo.toml")).toMatch(/^\[package\]\nname = "pricing"\n/);
    expect(text(two, "workers/pricing/src/main.rs")).toContain("worker_kit::run(&pricing::WORKER)");
    expect(text(two, "workers/pricing/tests/start.rs")).toContain('env!("CARGO_BIN_EXE_pricing")');
    expect(text(two, "workers/pricing/Dockerfile")).toContain("cargo build --release --locked -p pricing");
    expect([...two.keys()].filter((p) => p.startsWith("workers/") && !/^workers\/(scorer|pricing|worker-kit|worker-model)\//.test(p))).toEqual([
      "workers/Cargo.lock",
      "workers/Cargo.toml",
      "workers/deny.toml",
    ]);
  });

  it("renders what workers share once, so a worker adds only its own code", () => {
    const crate = (tree: ReturnType<typeof render>, dir: string) => [...tree.keys()].filter((p) => p.startsWith(`${dir}/`));
    // The shared crates are the same files, whatever the workers.
    for (const shared of SHARED_CRATES) {
      expect(crate(two, `workers/${shared}`)).toEqual(crate(one, `workers/${shared}`));
      for (const p of crate(one, `workers/${shared}`)) expect(text(two, p), p).toBe(text(one, p));
    }
    // A worker's crate holds none of their modules...
    const kit = new Set(crate(two, "workers/worker-kit").filter((p) => p.endsWith(".rs")).map((p) => p.replace(/^workers\/worker-kit\//, "")));
    const own = crate(two, "workers/pricing").filter((p) => p.endsWith(".rs")).map((p) => p.replace(/^workers\/pricing\//, ""));
    expect(own.filter((p) => kit.has(p) && p !== "build.rs" && p !== "src/lib.rs")).toEqual([]);
    // ...and stays small: its settings, its model's glue, its tests and its examples
    // (the copy of the whole worker it replaced was about 8,600 lines).
    const lines = own.reduce((n, p) => n + text(two, `workers/pricing/${p}`).split("\n").length, 0);
    expect(lines).toBeLessThan(2_500);
  });

  it("never moves or rewrites the first worker's crate when a worker is added", () => {
    for (const [path, entry] of one) {
      if (!path.startsWith("workers/scorer/")) continue;
      expect(two.has(path), path).toBe(true);
      // The Dockerfile lists every member's manifest for its dependency layer.
      if (path !== "workers/scorer/Dockerfile") expect(two.get(path)!.content.equals(entry.content), path).toBe(true);
    }
  });

  it("wires every worker into the orchestrator, routes, scripts and compose", () => {
    const config = text(two, "orchestrator/internal/config/config.go");
    expect(config).toContain('{"WORKER_SCORER_ADDR", "127.0.0.1:50051"}');
    expect(config).toContain('{"WORKER_PRICING_ADDR", "127.0.0.1:50052"}');
    expect(text(two, "orchestrator/cmd/smoke/main.go")).toContain('"/v1/workers/pricing",');
    expect(text(two, "scripts/run.sh")).toContain("start_worker pricing WORKER_PRICING_ADDR 127.0.0.1:50052");
    const compose = text(two, "docker-compose.yml");
    expect(compose).toContain("dockerfile: workers/pricing/Dockerfile");
    expect(compose).toContain("WORKER_PRICING_ADDR: pricing:50052");
    expect(text(two, "README.md")).toContain("`POST /v1/workers/pricing/score`");
  });

  it("renders a queue preset with two workers: both run, the primary scores", () => {
    const sqs = repo(["scorer", "pricing"], "sqs");
    expect(sqs.has("workers/pricing/src/main.rs")).toBe(true);
    expect(sqs.has("orchestrator/internal/httpapi/api.go")).toBe(false);
    // The wiring is a whole file per ingress.
    expect(["wire_http.go", "wire_sqs.go", "wire_kinesis.go"].filter((f) => sqs.has(`orchestrator/cmd/orchestrator/${f}`))).toEqual(["wire_sqs.go"]);
    expect(text(sqs, "orchestrator/internal/config/config.go")).toContain('"WORKER_PRICING_ADDR", "127.0.0.1:50052"');
    // Only the worker the consumer calls gates readiness (the generated ready_queue_test.go
    // proves it against real gRPC health); the added one is connected and reported.
    const consume = text(sqs, "orchestrator/cmd/orchestrator/consume.go");
    expect(consume).toContain("scorer := ws.route(primary)");
    expect(text(sqs, "orchestrator/cmd/orchestrator/workers.go")).toMatch(/for i, s := range ws\.scorers \{\n\t+if s == nil \{\n\t+continue/);
    expect(text(sqs, "orchestrator/cmd/orchestrator/wire_sqs.go")).toContain("p := newPipe(cfg, ws, sink, logger)");
    const smoke = text(sqs, "scripts/smoke.sh");
    expect(smoke).toContain('"$target/release/pricing"');
    expect(smoke).toContain('stop "${worker_pids[1]}" pricing');
    expect(text(sqs, "docker-compose.yml")).toMatch(/ {6}pricing:\n {8}condition: service_started/);
    const readme = text(sqs, "README.md");
    expect(readme).toContain("the others (`pricing`) are connected");
    expect(readme).toContain("a worker nothing calls (`pricing`) does not gate it");
  });

  it("words the README's sentences on the workers nothing calls for any number of them", () => {
    // With two, "`ranker`, `pricing`, which nothing calls, does not gate it" read as a slip.
    const readme = text(repo(["scorer", "ranker", "pricing"], "kinesis"), "README.md");
    expect(readme).toContain("a worker nothing calls (`ranker`, `pricing`) does not gate it");
    expect(readme).toContain("a worker nothing routes to\nyet (`ranker`, `pricing`) from 1");
    expect(readme).not.toMatch(/`, which nothing (calls|routes)/);
  });
});
