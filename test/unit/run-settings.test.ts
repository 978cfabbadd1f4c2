import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * The README's Configuration section says `make run` passes every setting
 * through, per service where a setting cannot be shared (the addresses).
 * Each variable of its table, for each ingress, with a uds and a tcp worker:
 * set as the README says to set it under `make run`, it must reach the
 * services the row names, with the value given. The services are stand-ins
 * that write down the environment they were started with.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const WORKERS = [
  { name: "scorer", transport: "uds" },
  { name: "pricing", transport: "tcp" },
] as const;

function treeFor(ingress: string, workers: readonly { name: string; transport: string }[] = WORKERS) {
  const tree = render(parseManifest({ name: "set-app", orchestrator: { module: "example.com/set-app/orchestrator", ingress }, workers: workers.map((w) => ({ ...w })) }));
  // aws.sh is the queue presets' only: empty for http, whose run.sh does not source it.
  return (path: string) => tree.get(path)?.content.toString("utf8") ?? "";
}

/** An orchestrator that records its environment, serves /readyz and stops cleanly on SIGTERM. */
const ORCHESTRATOR = `env > "$PWD/.env-orchestrator"
mkdir -p "$PWD/.www" && echo ok > "$PWD/.www/readyz"
python3 -m http.server --bind 127.0.0.1 "\${LISTEN_ADDR##*:}" --directory "$PWD/.www" >/dev/null 2>&1 &
trap 'kill $!; exit 0' TERM
wait`;
/** A worker that records its environment and serves until SIGTERM. */
const WORKER = `env > "$PWD/.env-$(basename "$0")"
trap 'exit 0' TERM
while :; do sleep 0.1; done`;

function repo(text: (path: string) => string, workers: string[], orchestrator = ORCHESTRATOR, worker = WORKER): string {
  const dir = tempDir("chb-runenv-");
  for (const sub of ["scripts", "bin", "workers", "target/release", "fakebin", "orchestrator"]) mkdirSync(join(dir, sub), { recursive: true });
  for (const s of ["run.sh", "lib.sh", "aws.sh"]) writeFileSync(join(dir, "scripts", s), text(`scripts/${s}`));
  const exe = (path: string, body: string) => {
    writeFileSync(join(dir, path), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, path), 0o755);
  };
  exe("fakebin/cargo", `echo '{"packages":[],"target_directory":"${dir}/target","version":1}'`);
  exe("bin/orchestrator", orchestrator);
  for (const w of workers) exe(`target/release/${w}`, worker);
  return dir;
}

/** Runs run.sh with env; once it says ready (or ends), SIGTERM; returns its output and exit code. */
async function runUntilReady(dir: string, env: Record<string, string>) {
  const proc = execa("bash", ["scripts/run.sh"], {
    cwd: dir,
    env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, WAIT_TIMEOUT: "20", ...env },
    extendEnv: false,
    // run.sh's own stop may take its graces in full: no SIGKILL 5 s after the SIGTERM.
    forceKillAfterDelay: false,
    reject: false,
    all: true,
    timeout: 90_000,
  });
  let seen = "";
  proc.all?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!/^ready:/m.test(seen) && proc.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  proc.kill("SIGTERM");
  return proc;
}

function envOf(dir: string, service: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(dir, `.env-${service}`), "utf8").split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

interface Row {
  services: string[];
  names: string[];
  meaning: string;
}

/** The README's Configuration table: who reads each variable, and what the row says. */
function configurationRows(readme: string): Row[] {
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 5));
  return section
    .split("\n")
    .filter((l) => /^\| (orchestrator|worker)/.test(l))
    .map((l) => {
      const cells = l.split(" | ");
      return {
        services: cells[0]!.replace(/^\| /, "").split(", "),
        names: [...cells[1]!.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)].map((m) => m[1]!),
        meaning: cells.slice(3).join(" | "),
      };
    });
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
    for (const row of rows) {
      for (const name of row.names) {
        for (const who of row.services) {
          const services = who === "orchestrator" ? ["orchestrator"] : WORKERS.map((w) => w.name);
          for (const service of services) {
            // Under make run a worker's per-service settings have their own name, which the row gives.
            const perWorker = service !== "orchestrator" ? /`make run`: `(WORKER_<NAME>_[A-Z_]+)`/.exec(row.meaning) : null;
            const given = perWorker ? perWorker[1]!.replace("<NAME>", service.toUpperCase()) : name;
            let value: string;
            if (given === "LISTEN_ADDR") value = `127.0.0.1:${apiPort}`;
            else if (given === "WORKER_SCORER_ADDR") value = `unix://${dir}/s.sock`;
            else if (/_ADDR$/.test(given)) value = `127.0.0.1:${await freePort()}`;
            else if (given === "AWS_ENDPOINT_URL") value = "http://127.0.0.1:1";
            else value = env[given] ?? `set-${given.toLowerCase()}`;
            env[given] ??= value;
            want[service]![name] = env[given]!;
          }
        }
      }
    }
    // Every per-worker name the README gives is one make run reads.
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["WORKER_SCORER_ADDR", "WORKER_PRICING_ADDR", "WORKER_SCORER_METRICS_ADDR", "WORKER_PRICING_METRICS_ADDR"]));
    const r = await runUntilReady(dir, env);
    const result = await r;
    expect(result.all).toMatch(/^ready:/m);
    expect(result.exitCode, result.all).toBe(0);
    for (const [service, vars] of Object.entries(want)) {
      const got = envOf(dir, service);
      for (const [name, value] of Object.entries(vars)) expect(`${service}: ${name}=${got[name]}`).toBe(`${service}: ${name}=${value}`);
    }
    // make run's own per-worker names stay out of the orchestrator's WORKER_ namespace, which would refuse them.
    expect(Object.keys(envOf(dir, "orchestrator")).filter((k) => k.endsWith("_METRICS_ADDR"))).toEqual([]);
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
    expect(result.exitCode).toBe(1);
    expect(result.all).toContain("run failed: pricing would listen on 127.0.0.1:9999 (WORKER_PRICING_METRICS_ADDR), as scorer does (WORKER_SCORER_METRICS_ADDR): set WORKER_PRICING_METRICS_ADDR to another address");
    expect(existsSync(join(dir, ".env-scorer"))).toBe(false);
  });

  it("a worker that cannot listen on its metrics address is named with the variables that move it", async () => {
    const text = treeFor("kinesis", [{ name: "scorer", transport: "uds" }]);
    const dir = repo(text, ["scorer"], `echo "orchestrator: starting"\nexec sleep 30`, `echo "Error: cannot listen on METRICS_ADDR=$METRICS_ADDR: Address already in use" >&2\nexit 1`);
    const result = await (runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}` }));
    expect(result.exitCode).toBe(1);
    expect(result.all).toContain("cannot listen on METRICS_ADDR=127.0.0.1:51051");
    expect(result.all).toMatch(/run failed: scorer did not start \(is an address already in use\? set another: WORKER_SCORER_ADDR=unix:\/\/\S+\/scorer\.sock WORKER_SCORER_METRICS_ADDR=127\.0\.0\.1:51051\)/);
  });
});

describe("make run waits as long as the drains you set", () => {
  it("SHUTDOWN_TIMEOUT and SHUTDOWN_GRACE_SECS set how long a stop waits before SIGKILL", async () => {
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
    const result = await (runUntilReady(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, SHUTDOWN_TIMEOUT: "500ms", SHUTDOWN_GRACE_SECS: "1" }));
    // 500ms rounds up to 1 s, plus the orchestrator's 7 s of steps after its drain; the worker 1 s and its 5 s margin.
    expect(result.all).toContain("orchestrator did not stop within 8s of SIGTERM");
    expect(result.all).toContain("scorer did not stop within 6s of SIGTERM");
  }, 90_000);
});
