import { execa } from "execa";
import { chmodSync, existsSync, readFileSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { freePort } from "../../src/validate/ports.js";
import { ensurePythonLinter } from "../../src/validate/linters.js";
import { isPrerelease } from "../../src/generator-version.js";
import { GENERATOR_VERSION } from "../../src/version.js";
import { CLI, ROOT, runCli, tempDir } from "../helpers/cli.js";
import { dockerfileStages } from "../helpers/dockerfile-stages.js";
import { composeHeaderCommands, fencedBlocks, helpTargets, isShell, needsCluster, needsDocker, runBlock, type DocBlock } from "../helpers/doc-blocks.js";
import { E2E_ENV } from "../helpers/toolchain-env.js";

/**
 * Everything a generated repo's docs tell you to run, run, for each preset:
 * every shell block of the root README and of each worker's README, the
 * command lines of docker-compose.yml's header and every target `make help`
 * lists. Services start the way the blocks say (`make run &`, `cargo run &`,
 * `make emulator &`), on free loopback ports given through the settings the
 * docs name (LISTEN_ADDR, WORKER_<NAME>_ADDR, AWS_ENDPOINT_URL), with the
 * same ports written into the commands that name them. Only what needs a
 * Docker engine is skipped, and it must be marked so (```sh docker, or a
 * `docker` command line); it is checked statically instead: the compose file
 * against the compose spec, every service and Dockerfile it names. The
 * generator's commands (the README's npx lines, make sync and upgrade) reach
 * a stand-in npx that runs this checkout's CLI for the release the repo
 * records (and for latest, which it is here) and fails on any other.
 */
const PRESETS: [string, string[]][] = [
  ["http", ["--ingress", "http", "--router", "stdlib"]],
  ["sqs", ["--ingress", "sqs"]],
  ["kinesis", ["--ingress", "kinesis"]],
];
const MINUTES = 60_000;

describe.each(PRESETS)("%s: every command the docs give", (preset, flags) => {
  const dir = join(tempDir("chb-docs-"), `docs-${preset}`);
  let env: Record<string, string> = {};
  let subst: (text: string) => string = (t) => t;
  let blocks: DocBlock[] = [];
  let compose: string[] = [];
  let ports: { api: number; worker: number; emulator: number };
  const npxLog = join(tempDir("chb-docs-npx-"), "calls");

  const read = (path: string) => readFileSync(join(dir, path), "utf8");
  const run = async (text: string, cwd = dir, extra: Record<string, string> = {}, minutes = 15) => {
    const result = await runBlock(subst(text), cwd, { ...env, ...extra }, minutes * MINUTES);
    expect(result.exitCode, `${subst(text)}\n---\n${result.all?.slice(-6000)}`).toBe(0);
    return result;
  };

  beforeAll(async () => {
    const created = await runCli([dir, "--yes", "--no-validate", ...flags], process.cwd(), E2E_ENV);
    expect(created.exitCode, created.stderr).toBe(0);
    ports = { api: await freePort(), worker: await freePort(), emulator: await freePort() };
    const recorded = (JSON.parse(read("hybrid-backend.json")) as { generator: { version: string } }).generator.version;
    expect(recorded).toBe(GENERATOR_VERSION);
    const npxDir = tempDir("chb-docs-npx-");
    writeFileSync(
      join(npxDir, "npx"),
      [
        "#!/usr/bin/env bash",
        `echo "$*" >> ${npxLog}`,
        '[ "$1" = --yes ] && shift',
        'case "$1" in',
        `  create-hybrid-backend@${recorded} | create-hybrid-backend@latest) shift; exec node ${CLI} "$@" ;;`,
        "esac",
        'echo "stand-in npx: not a generator command the docs give: $*" >&2',
        "exit 127",
        "",
      ].join("\n"),
    );
    chmodSync(join(npxDir, "npx"), 0o755);
    env = {
      ...(process.env as Record<string, string>),
      ...E2E_ENV,
      LISTEN_ADDR: `127.0.0.1:${ports.api}`,
      WORKER_SCORER_ADDR: `127.0.0.1:${ports.worker}`,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${ports.emulator}`,
      SMOKE_HTTP_PORT: String(await freePort()),
      SMOKE_WORKER_PORT: String(await freePort()),
      // make smoke refuses a setting that does not apply: HTTP ingress starts no emulator.
      ...(preset === "http" ? {} : { SMOKE_EMULATOR_PORT: String(await freePort()) }),
      RUST_LOG: "warn",
    };
    env.PATH = `${npxDir}:${env.PATH}`;
    // The docs name the default ports; this machine's are taken by others, so the same commands
    // run on free ones, given through the settings above.
    subst = (t) =>
      t
        .replaceAll("localhost:8080", `127.0.0.1:${ports.api}`)
        .replaceAll("127.0.0.1:50051", `127.0.0.1:${ports.worker}`);
    // Each worker's crate has its README; the shared crates beside them are libraries with none.
    const workerNames = (JSON.parse(read("hybrid-backend.json")) as { workers: { name: string }[] }).workers.map((w) => w.name);
    const readmes = ["README.md", ...workerNames.map((w) => `workers/${w}/README.md`)];
    blocks = readmes.flatMap((f) => fencedBlocks(f, read(f)));
    compose = composeHeaderCommands(read("docker-compose.yml"));
  });

  it("marks every block: shell, diagram, or Docker-only; the Docker-only ones are all docker commands, checked statically", async () => {
    for (const b of blocks) expect(["sh", "text"], `${b.file}: a block without sh or text`).toContain(b.info[0]);
    const skipped = blocks.filter((b) => isShell(b) && needsDocker(b));
    const runnable = blocks.filter((b) => isShell(b) && !needsDocker(b) && !needsCluster(b));
    expect(skipped.length).toBe(1);
    for (const b of skipped) for (const line of commands(b.text)) expect(line).toMatch(/^docker compose /);
    for (const b of runnable) expect(b.text, "an unmarked block runs docker").not.toMatch(/^\s*docker\b/m);
    for (const b of runnable) expect(b.text, "an unmarked block needs a cluster").not.toMatch(/^\s*(kubectl|kustomize)\b/m);

    // Cluster blocks (no cluster here): only kubectl and kustomize against the generated overlays,
    // each of which kustomize builds (validate's deploy step holds them to the schemas and checkov),
    // and the commit and publish record prod's images are pinned to (deploy-pin.test.ts runs that
    // block's `kustomize edit set image` line against the overlay).
    const cluster = blocks.filter((b) => isShell(b) && needsCluster(b));
    expect(cluster.length).toBe(2);
    for (const b of cluster) for (const line of commands(b.text)) expect(line).toMatch(/^(kubectl|kustomize|cd deploy\/kubernetes\/overlays\/[a-z]+$|SHA=\$\(git rev-parse HEAD\)$|IMAGES=~\/images\.env$)/);
    const overlays = readdirSync(join(dir, "deploy", "kubernetes", "overlays"));
    for (const b of cluster) for (const m of b.text.matchAll(/overlays\/([a-z]+)/g)) expect(overlays).toContain(m[1]);
    for (const overlay of overlays) {
      const built = await execa("kubectl", ["kustomize", join("deploy", "kubernetes", "overlays", overlay)], { cwd: dir, reject: false, all: true });
      expect(built.exitCode, built.all).toBe(0);
    }
    expect(compose.filter((l) => !l.startsWith("docker ")).every((l) => l.startsWith("curl "))).toBe(true);

    // The compose file, as `docker compose config` would take it, and every name the commands use.
    const checker = await ensurePythonLinter("checkJsonschema");
    const schema = await execa(checker, ["--builtin-schema", "vendor.compose-spec", "docker-compose.yml"], { cwd: dir, reject: false, all: true });
    expect(schema.exitCode, schema.all).toBe(0);
    const file = read("docker-compose.yml");
    for (const m of file.matchAll(/dockerfile: (\S+)/g)) expect(readFileSync(join(dir, m[1]!)).length).toBeGreaterThan(0);
    for (const line of compose.filter((l) => l.startsWith("docker compose run"))) {
      const [, entrypoint, service] = /--entrypoint (\S+) (\S+)/.exec(line)!;
      expect(file).toMatch(new RegExp(`^  ${service}:$`, "m"));
      // The stage the service builds (its target, else the final one) holds the command in /usr/local/bin.
      const stages = dockerfileStages(read("orchestrator/Dockerfile"));
      const target = (parse(file) as { services: Record<string, { build?: { target?: string } }> }).services[service!]?.build?.target ?? stages.final;
      expect(entrypoint).toMatch(/^\/usr\/local\/bin\/[a-z]+$/);
      expect(stages.commands.get(target)).toContain(entrypoint!.split("/").at(-1));
    }
    expect(read("Makefile")).toMatch(/^COMPOSE = \$\(if \$\(shell docker compose version 2>\/dev\/null\),docker compose,/m);
    expect(read("Makefile")).toMatch(/^docker: .*\n\t\$\(call given,COMPOSE\) build$/m);
  });

  it("runs the README's try-it block, with the compose header's curls against the stack it starts", async () => {
    const block = blocks.find((b) => b.file === "README.md" && isShell(b) && /make run &/.test(b.text))!;
    // The compose header's commands go where the stack is up: before the block stops it.
    const lines = block.text.trimEnd().split("\n");
    const stop = lines.findIndex((l) => l.startsWith("kill "));
    const curls = compose.filter((l) => l.startsWith("curl "));
    expect(stop).toBeGreaterThan(0);
    const result = await run([...lines.slice(0, stop), ...curls, ...lines.slice(stop)].join("\n"), dir, {}, 25);
    if (preset === "http") expect(result.all).toMatch(/"score":/);
    else {
      // What the block prints is what it claims: every request it produced handled, none left
      // in flight (the counters were once read before the consumer had caught up).
      const produced = Number(/make produce N=(\d+)/.exec(block.text)?.[1]);
      expect(produced).toBeGreaterThan(0);
      const counter = (name: string) => Number(new RegExp(`^orchestrator_messages_${name}_total (\\S+)$`, "m").exec(result.all ?? "")?.[1]);
      expect(counter("processed") + counter("stored_before"), result.all?.slice(-6000)).toBeGreaterThanOrEqual(produced);
      // The block stops the services, waits for them, and only then moto: the drain's last
      // calls (Kinesis: the lease release) still reach it, and the orchestrator stops cleanly.
      expect(result.all).not.toMatch(/exceeded maximum number of attempts|"msg":"releasing a lease"|"msg":"orchestrator failed"/);
      expect(result.all).toMatch(/"msg":"stopped"/);
      if (preset === "kinesis") expect(result.all).toMatch(/"msg":"lease released"/);
    }
    // Stopped means stopped: nothing listens on the API port any more.
    const after = await execa("curl", ["-sS", "-o", "/dev/null", `http://127.0.0.1:${ports.api}/healthz`], { reject: false });
    expect(after.exitCode).toBe(7);
  });

  // A new user ran the block twice against one emulator: the second `make wait-ready PROCESSED=`
  // passed at once on the first run's results (fixed synthetic ids), with processed=0. Here the
  // block's own lines, its services restarted in between and moto kept: the second run's
  // orchestrator must have handled every request of its own run by the time wait-ready returns.
  const queuePreset = preset === "http" ? undefined : it;
  queuePreset?.("runs the try-it block's requests twice against one emulator; the second wait-ready waits for its own", async () => {
    const block = blocks.find((b) => b.file === "README.md" && isShell(b) && /make run &/.test(b.text))!;
    const lines = block.text.trimEnd().split("\n");
    const [start, stop] = [lines.findIndex((l) => l.startsWith("make run &")), lines.findIndex((l) => l.startsWith("kill %2"))];
    expect(start).toBeGreaterThan(0);
    expect(stop).toBeGreaterThan(start);
    // The second `make run &` is job %2 again: the first was waited for.
    const rerun = [...lines.slice(0, stop + 1), ...lines.slice(start, stop + 1), ...lines.slice(stop + 1)];
    const result = await run(rerun.join("\n"), dir, {}, 25);
    const produced = Number(/make produce N=(\d+)/.exec(block.text)?.[1]);
    const last = (name: string) => Number([...(result.all ?? "").matchAll(new RegExp(`^orchestrator_messages_${name}_total (\\S+)$`, "gm"))].at(-1)?.[1]);
    expect(last("processed") + last("stored_before"), result.all?.slice(-6000)).toBeGreaterThanOrEqual(produced);
  });

  it("make run honours LISTEN_ADDR, and fails naming the address when it is taken", async () => {
    // The listener's output goes nowhere, so the block ends when make does.
    const hold = `python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", ${ports.api})); s.listen(); time.sleep(300)' >/dev/null 2>&1 &`;
    const started = Date.now();
    const taken = await runBlock(`${hold} sleep 1; make run`, dir, env, 5 * MINUTES);
    expect(taken.timedOut).toBe(false);
    expect(Date.now() - started).toBeLessThan(2 * MINUTES);
    expect(taken.exitCode).not.toBe(0);
    // Refused before anything is built or started (run.sh --check, which make runs first).
    expect(taken.all).toContain(`run failed: 127.0.0.1:${ports.api} is in use by another process (another make run?): set LISTEN_ADDR to a free address`);
    expect(taken.all).not.toMatch(/^ready:/m);
  });

  // Read from the running processes (/proc, so Linux, the platform the suite runs on): what each
  // real service was given. Registered for one preset: run.sh's environment code is the same
  // for every ingress, and the unit cases of run-settings.test.ts cover each preset's table.
  const perServiceSettings = preset === "http" ? it : undefined;
  perServiceSettings?.("make run gives each service its own settings, and none the per-service names", async () => {
    expect(process.platform, "reads /proc/PID/environ").toBe("linux");
    const model = join(dir, "workers", "scorer", "model", "model.json");
    const perService = {
      ORCHESTRATOR_OTEL_SERVICE_NAME: "docs-orchestrator",
      WORKER_SCORER_OTEL_SERVICE_NAME: "docs-scorer",
      WORKER_SCORER_MODEL_PATH: model,
      WORKER_SCORER_RUST_LOG: "info",
    };
    const proc = execa("make", ["run"], { cwd: dir, env: { ...env, ...perService }, reject: false, all: true, forceKillAfterDelay: false, timeout: 15 * MINUTES });
    let seen = "";
    proc.all?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    while (!/^ready:/m.test(seen) && proc.exitCode === null) await new Promise((r) => setTimeout(r, 200));
    expect(seen).toMatch(/^ready:/m);
    // The services are the processes run.sh started in the repo: their executables are named so.
    const services: Record<string, Record<string, string>> = {};
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        if (realpathSync(`/proc/${pid}/cwd`) !== realpathSync(dir)) continue;
        const name = basename(realpathSync(`/proc/${pid}/exe`));
        if (name !== "orchestrator" && name !== "scorer") continue;
        const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
        services[name] = Object.fromEntries(environ.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
      } catch {
        // A process that ended, or not ours to read.
      }
    }
    // As the README's `kill %1`: make passes the SIGTERM on to run.sh, which stops every service.
    proc.kill("SIGTERM");
    const result = await proc;
    expect(result.all).not.toMatch(/run failed|did not stop|exited with/);
    expect(Object.keys(services).sort()).toEqual(["orchestrator", "scorer"]);
    expect(services.orchestrator).toMatchObject({ OTEL_SERVICE_NAME: "docs-orchestrator", LISTEN_ADDR: `127.0.0.1:${ports.api}`, WORKER_SCORER_ADDR: `127.0.0.1:${ports.worker}` });
    expect(services.orchestrator!.MODEL_PATH).toBeUndefined();
    expect(services.scorer).toMatchObject({ OTEL_SERVICE_NAME: "docs-scorer", MODEL_PATH: model, RUST_LOG: "info", LISTEN_ADDR: `127.0.0.1:${ports.worker}` });
    for (const [name, vars] of Object.entries(services)) {
      expect(`${name}: ${Object.keys(vars).filter((k) => k in perService).join(" ")}`).toBe(`${name}: `);
    }
  });

  it("runs every target make help lists (docker only statically)", async () => {
    const help = await run("make help");
    const targets = helpTargets(help.stdout);
    const inBlocks = new Set(blocks.filter(isShell).flatMap((b) => [...b.text.matchAll(/(?:^|[;&|]\s*)make ([a-z][a-z-]*(?: [a-z][a-z-]*)*)/gm)].flatMap((m) => m[1]!.split(" "))));
    const runHere: Record<string, Record<string, string>> = {
      test: {},
      lint: {},
      smoke: {},
      bench: { BENCH_DURATION: "300ms", BENCH_RUNS: "1" },
      gen: {},
    };
    // clean and upgrade run in the last case, after everything that builds.
    const skipped = targets.filter((t) => !inBlocks.has(t) && !(t in runHere) && !["help", "clean", "upgrade"].includes(t));
    expect(skipped).toEqual(["docker", "up", "down"]);
    // No Docker engine here: the compose targets are checked statically (the compose file itself above).
    const makefile = read("Makefile");
    expect(makefile).toMatch(/^up: .*\n\t\$\(call given,COMPOSE\) up --build --detach\n\t@echo "orchestrator: http:\/\/localhost:8080 .*Jaeger.*Prometheus.*Grafana/m);
    expect(makefile).toMatch(/^down: .*\n\t\$\(call given,COMPOSE\) down$/m);
    for (const t of targets.filter((x) => x in runHere)) await run(`make ${t}`, dir, runHere[t], 20);
    // make gen regenerates exactly the committed stubs.
    expect((await execa("git", ["status", "--porcelain", "orchestrator/gen"], { cwd: dir })).stdout).toBe("");
  });

  it("runs every worker README block", async () => {
    for (const b of blocks.filter((x) => x.file.startsWith("workers/") && isShell(x))) {
      const worker = join(dir, b.file.replace(/\/README\.md$/, ""));
      await run(b.text, worker, { LISTEN_ADDR: `127.0.0.1:${ports.worker}` }, 25);
    }
    // The model is refitted from seeded data and the vectors rewritten from it: the same bytes.
    expect((await execa("git", ["status", "--porcelain", "workers", "testdata"], { cwd: dir })).stdout).toBe("");
  });

  it("runs make clean (on a target dir of its own: the shared one stays), the manifest block, make upgrade and the README's checkout sync", async () => {
    await run("make clean", dir, { CARGO_TARGET_DIR: tempDir("chb-docs-clean-") });
    // Every build output goes; only the pinned buf (if a block above fetched it) may stay.
    const pinnedBuf = `buf-${(JSON.parse(read("hybrid-backend.json")) as { toolchains: { buf: string } }).toolchains.buf}`;
    expect(readdirSync(join(dir, "bin")).filter((name) => name !== pinnedBuf)).toEqual([]);
    const manifest = blocks.find((b) => b.file === "README.md" && /add worker/.test(b.text))!;
    // A prerelease's block names the checkout that wrote the repo (npx cannot fetch one): this checkout.
    const checkoutCli = `node ${ROOT.replace(/\/$/, "")}/dist/cli.js`;
    await run(manifest.text.replaceAll("node CHECKOUT/dist/cli.js", checkoutCli));
    const added = /add worker (\w+)/.exec(manifest.text)![1]!;
    expect(read("hybrid-backend.json")).toContain(`"${added}"`);
    // The block's make sync lines ran the release the repo records, through npx when it is published.
    const synced = (existsSync(npxLog) ? readFileSync(npxLog, "utf8") : "").split("\n").filter((l) => / sync/.test(l));
    if (isPrerelease(GENERATOR_VERSION)) {
      expect(manifest.text).not.toMatch(/npx/);
      expect(synced).toEqual([]);
    } else expect(synced).toEqual([`--yes create-hybrid-backend@${GENERATOR_VERSION} sync --dry-run`, `--yes create-hybrid-backend@${GENERATOR_VERSION} sync`]);
    // make upgrade syncs with the newest release, this one: nothing changes, and the manifest still records it.
    await run("make upgrade");
    expect(readFileSync(npxLog, "utf8")).toMatch(/^--yes create-hybrid-backend@latest sync$/m);
    expect(read("hybrid-backend.json")).toContain(`"version": "${GENERATOR_VERSION}"`);
    // The README's way to sync with a checkout, this one, checking.
    const checkout = /`(make sync HYBRID_BACKEND='node CHECKOUT\/dist\/cli\.js')`/.exec(read("README.md"))![1]!;
    await run(`${checkout.replace("CHECKOUT", ROOT.replace(/\/$/, ""))} SYNC_FLAGS=--check`);
    expect((await runCli(["sync", "--check"], dir, E2E_ENV)).exitCode).toBe(0);
  });
});

/** A block's command lines, comments and continuations aside. */
function commands(text: string): string[] {
  return text
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l && !l.startsWith("#"));
}
