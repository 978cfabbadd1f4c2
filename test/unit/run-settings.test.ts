import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import type { SettingRule } from "../../src/render/setting-rules.js";
import { orchestratorSettings } from "../../src/render/settings.js";
import { workerSettings } from "../../src/render/worker-settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { freePort } from "../../src/validate/ports.js";
import { RUN_SCRIPTS, standInRepo, startScript } from "../helpers/run-script-repo.js";
import { envOf } from "../helpers/service-env.js";

/**
 * The README's Configuration section says how `make run`, which starts every
 * service from one environment, hands out each setting: as it is, or, for one
 * several services read, by per-service names (`ORCHESTRATOR_VAR`,
 * `WORKER_<NAME>_VAR`), which either override the plain name for one service
 * or are the only way to set it. Each variable of its table, for each
 * ingress, with a uds and a tcp worker: set as the README says to set it
 * under `make run`, it must reach the services the row names, each with its
 * own value where the row gives per-service names, and no other. The services
 * are stand-ins that write down the environment they were started with.
 */
const WORKERS = [
  { name: "scorer", transport: "uds" },
  { name: "pricing", transport: "tcp" },
] as const;

function treeFor(ingress: string, workers: readonly { name: string; transport: string }[] = WORKERS) {
  const tree = render(parseManifest({ name: "set-app", orchestrator: { module: "example.com/set-app/orchestrator", ingress }, workers: workers.map((w) => ({ ...w })) }));
  // aws.sh is the queue presets' only: empty for http, whose run.sh does not source it.
  return (path: string) => tree.get(path)?.content.toString("utf8") ?? "";
}

/**
 * An orchestrator that records its environment, serves /readyz and stops cleanly on SIGTERM:
 * as the HTTP one, on OPS_LISTEN_ADDR's port when that is set, the API's port then serving none.
 */
const ORCHESTRATOR = `env > "$PWD/.env-orchestrator"
mkdir -p "$PWD/.www" "$PWD/.api" && echo ok > "$PWD/.www/readyz"
ready=\${OPS_LISTEN_ADDR:-$LISTEN_ADDR}
if [ "$ready" != "$LISTEN_ADDR" ]; then python3 -m http.server --bind 127.0.0.1 "\${LISTEN_ADDR##*:}" --directory "$PWD/.api" >/dev/null 2>&1 & fi
python3 -m http.server --bind 127.0.0.1 "\${ready##*:}" --directory "$PWD/.www" >/dev/null 2>&1 &
trap 'kill $(jobs -p); exit 0' TERM
wait`;
/** A worker that records its environment and serves until SIGTERM. */
const WORKER = `env > "$PWD/.env-$(basename "$0")"
trap 'exit 0' TERM
while :; do sleep 0.1; done`;

function repo(text: (path: string) => string, workers: string[], orchestrator = ORCHESTRATOR, worker = WORKER): string {
  const scripts = [...RUN_SCRIPTS, "scripts/aws.sh"];
  return standInRepo("chb-runenv-", {
    scripts: Object.fromEntries(scripts.map((p) => [p, text(p)])),
    orchestrator,
    workers: Object.fromEntries(workers.map((w) => [w, worker])),
  });
}

/** Runs run.sh with env; once it says ready (or ends), SIGTERM; returns its output and exit code. */
async function runUntilReady(dir: string, env: Record<string, string>) {
  // run.sh's own stop may take its graces in full: no SIGKILL 5 s after the SIGTERM.
  const { proc, until } = startScript(dir, { WAIT_TIMEOUT: "20", ...env }, { extendEnv: false, forceKillAfterDelay: false, timeout: 90_000 });
  await until(/^ready:/m, 30_000);
  proc.kill("SIGTERM");
  return proc;
}

interface Row {
  services: string[];
  names: string[];
  meaning: string;
  /** What the row says of `make run`: the per-service names (with <NAME>), and whether only they set it. */
  perService: string[];
  only: boolean;
}

/** The README's Configuration table: who reads each variable, and what the row says. */
function configurationRows(readme: string): Row[] {
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 5));
  return section
    .split("\n")
    .filter((l) => /^\| (orchestrator|worker)/.test(l))
    .map((l) => {
      const cells = l.split(" | ");
      const meaning = cells.slice(3).join(" | ");
      const underRun = /`make run`: (.*)$/.exec(meaning)?.[1] ?? "";
      const perService = [...underRun.matchAll(/`((?:ORCHESTRATOR_|WORKER_<NAME>_)[A-Z_]+)`/g)].map((m) => m[1]!);
      return {
        services: cells[0]!.replace(/^\| /, "").split(", "),
        names: [...cells[1]!.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)].map((m) => m[1]!),
        meaning,
        perService,
        // A worker's address is set only by its WORKER_<NAME>_ADDR.
        only: /only by/.test(underRun) || /^`WORKER_<NAME>_ADDR`/.test(underRun),
      };
    });
}

/** The nth value a rule takes. */
function valid(rule: SettingRule, n: number): string {
  switch (rule.kind) {
    case "whole":
      return String(rule.min + n);
    case "duration":
      return `${n}s`;
    case "choice":
      return rule.values[n % rule.values.length]!;
    case "level":
      return ["debug", "info", "warn", "error"][n % 4]!;
    case "addr":
      return `127.0.0.1:${rule.port}`;
    case "name":
      return `name-${n}`;
  }
}

describe.each(["http", "sqs", "kinesis"])("make run passes every Configuration setting through, %s", (ingress) => {
  it("each variable of the README's table reaches the services its row names", async () => {
    const text = treeFor(ingress);
    const rows = configurationRows(text("README.md"));
    expect(rows.length).toBeGreaterThan(15);
    const dir = repo(text, WORKERS.map((w) => w.name));
    const env: Record<string, string> = {};
    /** service → variable the service reads → the value it must get. */
    const want: Record<string, Record<string, string>> = { orchestrator: {}, scorer: {}, pricing: {} };
    const apiPort = await freePort();
    const m = parseManifest({ name: "set-app", orchestrator: { module: "example.com/set-app/orchestrator", ingress }, workers: WORKERS.map((w) => ({ ...w })) });
    const rules = new Map<string, SettingRule>();
    for (const row of [...orchestratorSettings(m, workerContexts(m)).settings, ...workerSettings(workerContexts(m)[0]!, m).settings]) if (row.rule) rules.set(row.name, row.rule);
    let distinct = 0;
    /** The value VAR gets: an address where one is wanted, else one that names the variable. */
    const valueFor = async (given: string, tag = ""): Promise<string> => {
      if (given === "LISTEN_ADDR") return `127.0.0.1:${apiPort}`;
      if (given === "WORKER_SCORER_ADDR") return `unix://${dir}/s.sock`;
      // One METRICS_ADDR for both workers must be port 0: each gets a free one.
      if (given === "METRICS_ADDR") return "127.0.0.1:0";
      if (/_ADDR$/.test(given)) return `127.0.0.1:${await freePort()}`;
      if (given === "AWS_ENDPOINT_URL") return "http://127.0.0.1:1";
      // The drains run.sh derives its stop graces from, which it checks: well-formed, each its own.
      const drains: Record<string, string> = { SHUTDOWN_TIMEOUT: "13s", SHUTDOWN_DELAY: "1ms", SHUTDOWN_GRACE_SECS: "7", WORKER_SCORER_SHUTDOWN_GRACE_SECS: "8", WORKER_PRICING_SHUTDOWN_GRACE_SECS: "9" };
      if (drains[given]) return drains[given];
      // A setting with a rule, which run.sh checks: a value it takes, each its own where the rule allows.
      const rule = rules.get(given.replace(/^(ORCHESTRATOR|WORKER_SCORER|WORKER_PRICING)_/, ""));
      if (rule) return valid(rule, ++distinct);
      return `set-${tag}${given.toLowerCase()}`;
    };
    for (const row of rows) {
      for (const name of row.names) {
        for (const who of row.services) {
          const services = who === "orchestrator" ? ["orchestrator"] : WORKERS.map((w) => w.name);
          for (const service of services) {
            const own = row.perService.find((n) => n.startsWith(service === "orchestrator" ? "ORCHESTRATOR_" : "WORKER_<NAME>_"));
            const perServiceName = own?.replace("<NAME>", service.toUpperCase());
            // A per-service name where the row gives one: always where only it sets the variable;
            // else for every service but pricing, which takes the plain name every service shares.
            if (perServiceName && (row.only || service !== "pricing")) {
              env[perServiceName] ??= await valueFor(perServiceName, `${service}-`);
              want[service]![name] = env[perServiceName]!;
            } else {
              env[name] ??= await valueFor(name);
              want[service]![name] = env[name]!;
            }
          }
        }
      }
    }
    // The rows that give per-service names: a worker's settings and the OTEL_* ones, two set only per service.
    expect(rows.filter((r) => r.perService.length > 0).length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.only).flatMap((r) => r.names)).toEqual(["OTEL_SERVICE_NAME", "LISTEN_ADDR", "MODEL_PATH"]);
    // Every per-worker name the README gives is one make run reads.
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(["WORKER_SCORER_ADDR", "WORKER_PRICING_ADDR", "WORKER_SCORER_METRICS_ADDR", "WORKER_SCORER_MODEL_PATH", "WORKER_PRICING_MODEL_PATH", "ORCHESTRATOR_OTEL_SERVICE_NAME", "WORKER_SCORER_RUST_LOG"]),
    );
    const r = await runUntilReady(dir, env);
    const result = await r;
    expect(result.all).toMatch(/^ready:/m);
    expect(result.exitCode, result.all).toBe(0);
    for (const [service, vars] of Object.entries(want)) {
      const got = envOf(dir, service);
      for (const [name, value] of Object.entries(vars)) expect(`${service}: ${name}=${got[name]}`).toBe(`${service}: ${name}=${value}`);
    }
    // make run's per-service names reach no service as they are: the orchestrator's WORKER_ namespace
    // would refuse them, and a worker would never read them.
    for (const service of Object.keys(want)) {
      const perService = Object.keys(envOf(dir, service)).filter((k) => k.startsWith("ORCHESTRATOR_") || (k.startsWith("WORKER_") && !/^WORKER_[A-Z]+_ADDR$/.test(k)));
      expect(`${service}: ${perService.join(" ")}`).toBe(`${service}: `);
    }
  });
});

describe("make run's per-worker metrics address", () => {
  it("METRICS_ADDR=127.0.0.1:0 gives every worker a free port (the way round a taken one)", async () => {
    const text = treeFor("kinesis");
    const dir = repo(text, ["scorer", "pricing"]);
    const result = await (runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, METRICS_ADDR: "127.0.0.1:0" }));
    expect(result.exitCode, result.all).toBe(0);
    expect(envOf(dir, "scorer").METRICS_ADDR).toBe("127.0.0.1:0");
    expect(envOf(dir, "pricing").METRICS_ADDR).toBe("127.0.0.1:0");
  });

  it("one fixed METRICS_ADDR for two workers stops make run before it starts them, naming the variable", async () => {
    const text = treeFor("http");
    const dir = repo(text, ["scorer", "pricing"]);
    const result = await (runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, METRICS_ADDR: "127.0.0.1:9999" }));
    // Bad input, as every refused setting: 2 (1 is a port another process holds).
    expect(result.exitCode).toBe(2);
    expect(result.all).toContain("run failed: pricing would listen on 127.0.0.1:9999 (METRICS_ADDR), where scorer listens on 127.0.0.1:9999 (METRICS_ADDR): set WORKER_PRICING_METRICS_ADDR to another port");
    expect(existsSync(join(dir, ".env-scorer"))).toBe(false);
  });

  it("a worker that cannot listen on its metrics address is named with the variables that move it", async () => {
    const text = treeFor("kinesis", [{ name: "scorer", transport: "uds" }]);
    const dir = repo(text, ["scorer"], `echo "orchestrator: starting"\nexec sleep 30`, `echo "Error: cannot listen on METRICS_ADDR=$METRICS_ADDR: Address already in use" >&2\nexit 1`);
    const result = await (runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}` }));
    expect(result.exitCode).toBe(1);
    expect(result.all).toContain("cannot listen on METRICS_ADDR=127.0.0.1:51051");
    expect(result.all).toMatch(/run failed: scorer could not listen: an address is in use \(its log above says which\); set that one to a free address \(now WORKER_SCORER_ADDR=unix:\/\/\S+\/scorer\.sock WORKER_SCORER_METRICS_ADDR=127\.0\.0\.1:51051\)/);
  });
});

/**
 * make run OPS_LISTEN_ADDR=... waited for /readyz on the API's port, where the orchestrator
 * serves it only while OPS_LISTEN_ADDR is unset, and so timed out on a ready orchestrator.
 */
describe("make run's readiness wait follows OPS_LISTEN_ADDR", () => {
  it("says ready once /readyz answers on the ops port", async () => {
    const dir = repo(treeFor("http"), ["scorer", "pricing"]);
    const result = await runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, OPS_LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WAIT_TIMEOUT: "8" });
    expect(result.all).toMatch(/^ready: /m);
  });
});

describe("make run waits as long as the drains you set", () => {
  it("SHUTDOWN_DELAY, SHUTDOWN_TIMEOUT and SHUTDOWN_GRACE_SECS set how long a stop waits before SIGKILL", async () => {
    const text = treeFor("http", [{ name: "scorer", transport: "tcp" }]);
    // Services that ignore SIGTERM: run.sh must give up on each after its grace.
    // (The orchestrator is the server itself, so the SIGKILL leaves nothing behind.)
    const dir = repo(
      text,
      ["scorer"],
      `mkdir -p "$PWD/.www" && echo ok > "$PWD/.www/readyz"
exec python3 -c 'import functools, http.server as h, signal, sys
signal.signal(signal.SIGTERM, signal.SIG_IGN)
h.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), functools.partial(h.SimpleHTTPRequestHandler, directory=sys.argv[2])).serve_forever()' "\${LISTEN_ADDR##*:}" "$PWD/.www"`,
      `trap '' TERM\nwhile :; do sleep 0.1; done`,
    );
    const result = await (runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, SHUTDOWN_TIMEOUT: "500ms", SHUTDOWN_DELAY: "300ms", SHUTDOWN_GRACE_SECS: "1" }));
    // The API's SHUTDOWN_DELAY, then its drain: each rounds up to 1 s, plus the orchestrator's 7 s of steps after its drain; the worker 1 s and its 5 s margin.
    expect(result.all).toContain("orchestrator did not stop within 9s of SIGTERM");
    expect(result.all).toContain("scorer did not stop within 6s of SIGTERM");
  }, 90_000);

  it("WORKER_<NAME>_SHUTDOWN_GRACE_SECS sets that worker's drain, and so its stop's wait, alone", async () => {
    const text = treeFor("http", [
      { name: "scorer", transport: "tcp" },
      { name: "pricing", transport: "tcp" },
    ]);
    const dir = repo(text, ["scorer", "pricing"], ORCHESTRATOR, `env > "$PWD/.env-$(basename "$0")"\ntrap '' TERM\nwhile :; do sleep 0.1; done`);
    const result = await runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, SHUTDOWN_GRACE_SECS: "1", WORKER_PRICING_SHUTDOWN_GRACE_SECS: "+02" });
    expect(envOf(dir, "scorer").SHUTDOWN_GRACE_SECS).toBe("1");
    // Read as the worker reads it (Rust's u64::from_str takes a + and leading zeros): 2 s.
    expect(envOf(dir, "pricing").SHUTDOWN_GRACE_SECS).toBe("+02");
    expect(result.all).toContain("scorer did not stop within 6s of SIGTERM");
    expect(result.all).toContain("pricing did not stop within 7s of SIGTERM");
  }, 90_000);
});

describe("make run refuses a setting it would hand to every service alike", () => {
  it.each([
    ["OTEL_SERVICE_NAME", "ORCHESTRATOR_OTEL_SERVICE_NAME WORKER_SCORER_OTEL_SERVICE_NAME WORKER_PRICING_OTEL_SERVICE_NAME"],
    ["MODEL_PATH", "WORKER_SCORER_MODEL_PATH WORKER_PRICING_MODEL_PATH"],
  ])("%s: every service under one name, or one model in every worker, stops it before start, naming the per-service names", async (name, perService) => {
    const text = treeFor("http");
    const dir = repo(text, ["scorer", "pricing"]);
    const result = await runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, [name]: "/tmp/x" });
    // Bad input, as every refused setting: exit 2 and one line naming it, its value and what is wanted.
    expect(result.exitCode).toBe(2);
    expect(result.all).toBe(`run: ${name}=/tmp/x: want it set per service (${perService}), not once for every service that reads it`);
    expect(existsSync(join(dir, ".env-scorer"))).toBe(false);
  });

  it("a per-service name no service reads (a typo) stops it before start, naming the ones it knows", async () => {
    const text = treeFor("http", [{ name: "scorer", transport: "tcp" }]);
    const dir = repo(text, ["scorer"]);
    const result = await runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WORKER_SCORER_MODLE_PATH: "/tmp/x" });
    expect(result.exitCode).toBe(2);
    expect(result.all).toMatch(/^run: WORKER_SCORER_MODLE_PATH=\/tmp\/x: want a setting of scorer under make run: WORKER_SCORER_ followed by one of ADDR .*METRICS_ADDR .*MODEL_PATH/);
    expect(existsSync(join(dir, ".env-scorer"))).toBe(false);
  });

  it("with no per-service name set, no service is given one, and each keeps its own default name", async () => {
    const text = treeFor("sqs");
    const dir = repo(text, ["scorer", "pricing"]);
    const result = await runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, RUST_LOG: "debug" });
    expect(result.exitCode, result.all).toBe(0);
    for (const service of ["orchestrator", "scorer", "pricing"]) {
      expect(envOf(dir, service).OTEL_SERVICE_NAME).toBeUndefined();
      expect(envOf(dir, service).MODEL_PATH).toBeUndefined();
    }
    expect(envOf(dir, "pricing").RUST_LOG).toBe("debug");
  });
});
