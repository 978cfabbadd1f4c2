import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { freePort } from "../../src/validate/ports.js";
import { tempDir } from "../helpers/temp-dirs.js";
import { envOf } from "../helpers/service-env.js";
import { RUN_SCRIPTS } from "../helpers/run-script-repo.js";

/**
 * `make smoke` and `make bench` start every service from one environment, as
 * `make run` does (test/unit/run-settings.test.ts), and must hand the
 * settings out the same way (scripts/services.sh): a per-service name
 * (`WORKER_<NAME>_MODEL_PATH`, `ORCHESTRATOR_OTEL_SERVICE_NAME`) reaches its
 * service alone, under the plain name, and no service sees the per-service
 * names themselves; a plain name that would be wrong for every service at
 * once is refused before anything starts. The services, cargo, go and
 * loadgen are stand-ins; each service writes down its environment.
 */
const WORKERS = [
  { name: "scorer", transport: "tcp" },
  { name: "pricing", transport: "tcp" },
] as const;

function treeFor(ingress: string) {
  const tree = render(parseManifest({ name: "set-app", orchestrator: { module: "example.com/set-app/orchestrator", ingress }, workers: WORKERS.map((w) => ({ ...w })) }));
  return (path: string) => tree.get(path)?.content.toString("utf8") ?? "";
}

/** A service that records its environment (the file named after it) and exits 0 on SIGTERM. */
const SERVICE = `trap 'exit 0' TERM
env > "$PWD/.env-$(basename "$0")"
while :; do sleep 0.1; done`;

/** The orchestrator: SERVICE, answering /readyz (smoke waits for it, and for the process to live) until SIGTERM. */
const ORCHESTRATOR = `mkdir -p "$PWD/.www" && echo ok > "$PWD/.www/readyz"
python3 -m http.server --bind 127.0.0.1 "\${LISTEN_ADDR##*:}" --directory "$PWD/.www" >/dev/null 2>&1 &
trap 'kill $!; exit 0' TERM
env > "$PWD/.env-$(basename "$0")"
while :; do sleep 0.1; done`;

function repo(text: (path: string) => string): string {
  const dir = tempDir("chb-scriptenv-");
  for (const sub of ["scripts", "bin", "target/release/examples", "fakebin", "orchestrator", "workers/scorer/model", "testdata"]) mkdirSync(join(dir, sub), { recursive: true });
  for (const p of [...RUN_SCRIPTS, ...["smoke.sh", "bench.sh", "pinning.sh", "aws.sh", "emulator.sh"].map((s) => `scripts/${s}`)]) writeFileSync(join(dir, p), text(p));
  const exe = (path: string, body: string) => {
    writeFileSync(join(dir, path), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, path), 0o755);
  };
  // cargo: the workspace's metadata; builds and tests do nothing (the bench's model memory rows are left out).
  exe("fakebin/cargo", `if [ "$1" = metadata ]; then echo '{"packages":[],"target_directory":"${dir}/target","version":1}'; fi`);
  // go: builds do nothing (fail with STOP_AT_BUILD), but a tool smoke runs (lib.sh's go_tool: go build -o ../bin/NAME ./cmd/NAME,
  // then that) is one that returns once the services have written their environment.
  exe("fakebin/go", `if [ "$1" = build ] && [ -n "\${STOP_AT_BUILD:-}" ]; then exit 1; fi
case $1:\${4-} in
  build:./cmd/smoke | build:./cmd/bootstrap | build:./cmd/produce | build:./cmd/verify)
    printf '%s\\n' '#!/usr/bin/env bash' 'for i in $(seq 100); do [ -e ../.env-orchestrator ] && [ -e ../.env-scorer ] && [ -e ../.env-pricing ] && break; sleep 0.1; done' >"$3"
    chmod +x "$3" ;;
esac`);
  exe(
    "bin/loadgen",
    `case $1 in
  freeport) python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' ;;
  otlp-sink | http-floor) trap 'exit 0' TERM; while :; do sleep 0.1; done ;;
  # A measurement: time for the services just started to write their environment.
  *) sleep 0.3 ;;
esac`,
  );
  for (const bin of ["bin/gateway", ...WORKERS.map((w) => `target/release/${w.name}`)]) exe(bin, SERVICE);
  exe("bin/orchestrator", ORCHESTRATOR);
  exe("target/release/examples/scorer_bench_model", "echo '{}'");
  return dir;
}

function script(dir: string, name: string, env: Record<string, string>) {
  return execa("bash", [`scripts/${name}.sh`], {
    cwd: dir,
    env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, BENCH_DURATION: "100ms", BENCH_RUNS: "1", ...env },
    extendEnv: false,
    reject: false,
    all: true,
    timeout: 120_000,
  });
}

const PER_SERVICE = {
  WORKER_SCORER_MODEL_PATH: "/models/scorer.json",
  WORKER_PRICING_OTEL_SERVICE_NAME: "pricing-dev",
  ORCHESTRATOR_OTEL_SERVICE_NAME: "orchestrator-dev",
  ORCHESTRATOR_OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=orchestrator-dev",
  OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=dev",
  WORKER_PRICING_MAX_IN_FLIGHT: "7",
  MAX_IN_FLIGHT: "9",
};

describe.each(["smoke", "bench"])("make %s hands each service its own settings, as make run does", (name) => {
  it("a per-service name reaches its service alone, under the plain name; no service sees the per-service names", async () => {
    const dir = repo(treeFor("http"));
    // Ports of smoke's own, as it refuses taken ones (the defaults may be another test's).
    const ports: Record<string, string> = name === "smoke" ? { SMOKE_HTTP_PORT: String(await freePort()), SMOKE_WORKER_PORT: String(await freePort()) } : {};
    const r = await script(dir, name, { ...PER_SERVICE, ...ports });
    expect(r.exitCode, r.all).toBe(0);
    const orchestrator = envOf(dir, "orchestrator");
    const scorer = envOf(dir, "scorer");
    const pricing = envOf(dir, "pricing");
    expect(scorer.MODEL_PATH).toBe("/models/scorer.json");
    expect(pricing.MODEL_PATH).toBeUndefined();
    expect(pricing.OTEL_SERVICE_NAME).toBe("pricing-dev");
    expect(scorer.OTEL_SERVICE_NAME).toBeUndefined();
    expect(orchestrator.OTEL_SERVICE_NAME).toBe("orchestrator-dev");
    expect(orchestrator.OTEL_RESOURCE_ATTRIBUTES).toBe("deployment.environment=orchestrator-dev");
    expect(scorer.OTEL_RESOURCE_ATTRIBUTES).toBe("deployment.environment=dev");
    expect(pricing.MAX_IN_FLIGHT).toBe("7");
    expect(scorer.MAX_IN_FLIGHT).toBe("9");
    // The orchestrator's WORKER_ namespace would refuse them; a worker never reads them.
    for (const [service, env] of Object.entries({ orchestrator, scorer, pricing })) {
      const perService = Object.keys(env).filter((k) => k.startsWith("ORCHESTRATOR_") || (k.startsWith("WORKER_") && !/^WORKER_[A-Z]+_ADDR$/.test(k)));
      expect(`${service}: ${perService.join(" ")}`).toBe(`${service}: `);
    }
  }, 120_000);

  // The addresses are the script's own: OPS_LISTEN_ADDR moved /readyz (and /metrics) off the
  // port it waits on and reads, and the run timed out on a ready orchestrator.
  it("OPS_LISTEN_ADDR does not reach the orchestrator it starts", async () => {
    const dir = repo(treeFor("http"));
    const ports: Record<string, string> = name === "smoke" ? { SMOKE_HTTP_PORT: String(await freePort()), SMOKE_WORKER_PORT: String(await freePort()) } : {};
    const r = await script(dir, name, { ...ports, OPS_LISTEN_ADDR: `127.0.0.1:${await freePort()}` });
    expect(r.exitCode, r.all).toBe(0);
    expect(envOf(dir, "orchestrator").OPS_LISTEN_ADDR).toBeUndefined();
  }, 120_000);
});

describe.each(["run", "smoke", "bench"])("make %s refuses a setting it would hand to every service alike", (name) => {
  it.each([
    ["MODEL_PATH", "/tmp/m.json", "it set per service (WORKER_SCORER_MODEL_PATH WORKER_PRICING_MODEL_PATH), not once for every service that reads it"],
    [
      "OTEL_RESOURCE_ATTRIBUTES",
      "deployment.environment=dev, service.name =one",
      "no service.name entry, one for every service that reads it: set OTEL_SERVICE_NAME per service (ORCHESTRATOR_OTEL_SERVICE_NAME WORKER_SCORER_OTEL_SERVICE_NAME WORKER_PRICING_OTEL_SERVICE_NAME)",
    ],
    // A name the services would refuse at start: a typo, a retired name, a per-service typo.
    ["WORKER_PORT", "abc", "a setting: the orchestrator reads no WORKER_ name but WORKER_SCORER_ADDR, WORKER_PRICING_ADDR and a per-service WORKER_<NAME>_<VAR> (README, Configuration)"],
    ["WORKER_ADDR", "127.0.0.1:1", "WORKER_SCORER_ADDR instead: WORKER_ADDR is no longer read"],
    ["WORKER_PRICING_RUSTLOG", "debug", "a setting of pricing under make NAME: WORKER_PRICING_ followed by one of ADDR"],
  ])("%s=%s, before anything starts: bad input, exit 2", async (variable, value, why) => {
    // http: every script starts the orchestrator too, whose WORKER_ namespace refuses WORKER_PORT.
    const dir = repo(treeFor("http"));
    const r = await script(dir, name, { [variable]: value });
    expect(r.exitCode).toBe(2);
    expect(r.all.split("\n")).toHaveLength(1);
    expect(r.all.startsWith(`${name}: ${variable}=${value}: want ${why.replace("make NAME", `make ${name}`)}`), r.all).toBe(true);
    for (const service of ["orchestrator", "scorer", "pricing"]) expect(existsSync(join(dir, `.env-${service}`))).toBe(false);
  });
});

describe.each(["http", "sqs"])("how long make bench takes, %s", (ingress) => {
  it("the README's figure is the one the bench prints from its own settings, and follows them", async () => {
    const text = treeFor(ingress);
    const readme = text("README.md");
    const [, phases, rounds, roundSecs, secs, quickSecs] =
      /each run measures (\d+) phases of `BENCH_DURATION` and\n(\d+) model scoring rounds of at most (\d+) s .*\ndefaults the measuring takes about (\d+) s .*, and the quick check\nabout (\d+) s;/.exec(readme) ?? [];
    expect(secs, readme.slice(readme.indexOf("## Benchmarks"), readme.indexOf("## Benchmarks") + 2000)).toBeDefined();
    const { BENCH_DEFAULTS } = await import("../../src/render/bench.js");
    expect(Number(secs)).toBe(BENCH_DEFAULTS.runs * (Number(phases) * BENCH_DEFAULTS.durationSecs + Number(rounds) * Math.min(BENCH_DEFAULTS.durationSecs, Number(roundSecs))));
    const dir = repo(text);
    // What the bench prints before its first build, which then stops it.
    const printed = async (env: Record<string, string>) => {
      const r = await script(dir, "bench", { ...env, STOP_AT_BUILD: "1" });
      return /^bench: .*: about (\d+)s of measuring/m.exec(r.all)?.[1];
    };
    // Unset, the defaults: the README's figure.
    expect(await printed({ BENCH_DURATION: "", BENCH_RUNS: "" })).toBe(secs);
    const quick = /`(BENCH_DURATION=(\S+) BENCH_RUNS=(\d+))`\s+is a quick check/.exec(readme)!;
    expect(await printed({ BENCH_DURATION: quick[2]!, BENCH_RUNS: quick[3]! })).toBe(quickSecs);
  }, 240_000);

  it("refuses a BENCH_DURATION or BENCH_RUNS it cannot bound, naming it", async () => {
    const dir = repo(treeFor(ingress));
    for (const [name, value, want] of [
      ["BENCH_DURATION", "2", "want a positive Go duration such as 2s or 500ms"],
      ["BENCH_RUNS", "0", "want a whole number of runs, 1 or more"],
    ] as const) {
      const r = await script(dir, "bench", { [name]: value });
      expect(r.exitCode).toBe(2);
      expect(r.all).toBe(`bench: ${name}=${value}: ${want}`);
    }
  });
});
