import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { SOCKET_EXAMPLES } from "../../src/render/setting-rules.js";
import { SYNTHETIC_COUNT_MAX } from "../../src/render/settings.js";
import { UDS_STAGING_EXTRA, WORKER_MAX_DRAIN_SECS } from "../../src/render/workers.js";
import { freePort } from "../../src/validate/ports.js";
import { RUN_SCRIPTS, freeListeners, goBuildStandIn, standInPath, standInRepo, startScript, writeExecutable } from "../helpers/run-script-repo.js";

/**
 * A new user's `make run LISTEN_ADDR=nonsense` started everything, then ended in
 * "set another: LISTEN_ADDR=nonsense" (the bad value offered back) after an
 * unrelated "nothing answers at AWS_ENDPOINT_URL"; `make produce N=abc` reported
 * the emulator down. Every address, port and count the scripts read is checked
 * by one validator per kind (scripts/lib.sh) before anything starts or is
 * probed: exit 2, one line naming the setting, its value (escaped) and what is
 * allowed. Stand-ins leave a mark when started, so "nothing started" is seen.
 */
const sqs = render(parseManifest({ name: "chk-app", orchestrator: { module: "example.com/chk-app/orchestrator", ingress: "sqs" } }));
const http = render(parseManifest({ name: "chk-app", orchestrator: { module: "example.com/chk-app/orchestrator", ingress: "http" } }));
type Tree = typeof sqs;
const text = (tree: Tree, path: string) => tree.get(path)!.content;

/**
 * What the emulator accepts: it took only the port of any URL, so with https://,
 * another host or a path moto served where none of the commands given the same
 * URL looked (TLS to a plain-HTTP server, or another machine).
 */
const EMULATOR_URL = "http://127.0.0.1:PORT or http://localhost:PORT, PORT 1 to 65535, e.g. http://127.0.0.1:5000: the emulator serves plain HTTP on this machine, at no path";
const scripts = [...RUN_SCRIPTS, ...["smoke", "bench", "pinning", "wait-ready", "aws", "emulator"].map((s) => `scripts/${s}.sh`), "Makefile"];

/** A repo of the tree's scripts and Makefile whose services, curl and go only leave a mark in started/. */
function repo(tree: Tree, orchestrator = `touch started/orchestrator`, scorer = `touch started/scorer`): string {
  const dir = standInRepo("chb-chk-", {
    scripts: Object.fromEntries(scripts.filter((p) => tree.has(p)).map((p) => [p, text(tree, p)])),
    orchestrator,
    workers: { scorer },
    commands: { curl: `touch "$PWD/started/curl"; exit 7`, go: `touch "$PWD/started/go"; exit 1` },
  });
  mkdirSync(join(dir, "started"));
  return dir;
}

const script = (dir: string, name: string, env: Record<string, string>, args: string[] = []) =>
  execa("bash", [`scripts/${name}.sh`, ...args], { cwd: dir, env: { PATH: standInPath(dir), ...env }, extendEnv: false, reject: false, all: true, timeout: 20_000 });

const started = (dir: string) => ["orchestrator", "scorer", "curl", "go"].filter((m) => existsSync(join(dir, "started", m)));

const ADDR = "HOST:PORT (127.0.0.1:PORT, :PORT or [::1]:PORT), PORT 0 to 65535";
/** Linux's 108 sun_path bytes, less the NUL and the worker's staging suffix. */
const UNIX = `${ADDR}, or unix:///PATH, an absolute path to a socket file (no directory) of at most ${108 - 1 - UDS_STAGING_EXTRA} bytes`;

describe("make run refuses a malformed address before starting anything", () => {
  it.each([
    ["LISTEN_ADDR", "nonsense", ADDR],
    ["LISTEN_ADDR", "127.0.0.1:99999", ADDR],
    ["LISTEN_ADDR", "127.0.0.1:", ADDR],
    ["LISTEN_ADDR", "unix:///tmp/o.sock", ADDR],
    ["METRICS_ADDR", "localhost", ADDR],
    ["WORKER_SCORER_ADDR", "scorer", UNIX],
    // A path the worker cannot bind (the socket address's bytes, less its NUL and the
    // staging suffix), a relative one and a bare scheme passed, to fail after the build.
    ["WORKER_SCORER_ADDR", `unix:///tmp/${"x".repeat(94)}.sock`, UNIX],
    ["WORKER_SCORER_ADDR", `unix:///tmp/${"é".repeat(47)}.sock`, UNIX],
    ["WORKER_SCORER_ADDR", "unix://scorer.sock", UNIX],
    ["WORKER_SCORER_ADDR", "unix:///", UNIX],
    ["WORKER_SCORER_METRICS_ADDR", "127.0.0.1:9x", ADDR],
  ])("%s=%s", async (name, value, want) => {
    const dir = repo(sqs);
    const r = await script(dir, "run", { [name]: value, WAIT_TIMEOUT: "5" });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`run: ${name}=${value}: want ${want}`);
    expect(started(dir)).toEqual([]);
  });

  // The list the worker's and config.go's tests run too (setting-rules.ts): a parser that
  // misses one (config.go took an existing directory) fails its own test.
  it.each([...SOCKET_EXAMPLES.bad.map((v) => [v, false] as const), ...SOCKET_EXAMPLES.good.map((v) => [v, true] as const)])(
    "reads WORKER_SCORER_ADDR=%s as the worker and the orchestrator do (taken: %s)",
    async (value, taken) => {
      const r = await script(repo(http), "run", taken ? await freeListeners({ WORKER_SCORER_ADDR: value }) : { WORKER_SCORER_ADDR: value }, ["--check"]);
      if (taken) expect(r.exitCode, r.all).toBe(0);
      else expect([r.exitCode, r.all]).toEqual([2, `run: WORKER_SCORER_ADDR=${value}: want ${UNIX}`]);
    },
  );

  it("takes a socket path of exactly the longest a worker binds", async () => {
    const path = `/tmp/${"x".repeat(108 - 1 - UDS_STAGING_EXTRA - 10)}.sock`;
    const r = await script(repo(http), "run", await freeListeners({ WORKER_SCORER_ADDR: `unix://${path}` }), ["--check"]);
    expect(r.exitCode, r.all).toBe(0);
    // The README's Configuration table gives the same limit (it said 107 bytes, which no worker binds).
    expect(text(http, "README.md").toString()).toContain(`its path at most ${108 - 1 - UDS_STAGING_EXTRA} bytes on Linux, ${104 - 1 - UDS_STAGING_EXTRA} on macOS`);
  });

  it("escapes an invisible character in the value it echoes", async () => {
    const r = await script(repo(http), "run", { LISTEN_ADDR: "127.0.0.1:80\u001b[2J80" });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`run: LISTEN_ADDR=$'127.0.0.1:80\\E[2J80': want ${ADDR}`);
  });

  // The orchestrator refuses port 0 (config.go: nothing in front of it could find a free port it
  // picked), and a worker a name for its metrics (Rust's SocketAddr): the scripts' rules agree.
  it.each([
    ["LISTEN_ADDR", ":0", "HOST:PORT, PORT 1 to 65535, e.g. 127.0.0.1:8080 or :8080"],
    ["METRICS_ADDR", "localhost:9464", "IP:PORT, e.g. 0.0.0.0:51051, or port 0 for a free one"],
    ["WORKER_SCORER_METRICS_ADDR", ":9464", "IP:PORT, e.g. 0.0.0.0:51051, or port 0 for a free one"],
  ])("refuses %s=%s, as the service does", async (name, value, want) => {
    const dir = repo(http);
    const r = await script(dir, "run", { [name]: value, WAIT_TIMEOUT: "1" });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`run: ${name}=${value}: want ${want}`);
    expect(started(dir)).toEqual([]);
  });

  it.each(["0.0.0.0:8080", "[::1]:8080", "localhost:65535"])("takes LISTEN_ADDR=%s", async (value) => {
    const r = await script(repo(http), "run", { LISTEN_ADDR: value, WORKER_SCORER_ADDR: "unix:///tmp/chk-scorer.sock", WAIT_TIMEOUT: "1" });
    expect(r.all).not.toContain("want HOST:PORT");
    expect(r.exitCode, r.all).toBe(1);
  });

  it("names a taken address with the settings that move it, and no unrelated emulator line", async () => {
    const dir = repo(sqs, `echo "orchestrator failed: listen tcp 127.0.0.1:8080: bind: address already in use" >&2\nexit 1`, `echo "scorer: serving"\nexec sleep 30`);
    const port = await freePort();
    const r = await startScript(dir, { LISTEN_ADDR: `127.0.0.1:${port}`, WORKER_SCORER_ADDR: "127.0.0.1:1", AWS_ENDPOINT_URL: "http://127.0.0.1:1", WAIT_TIMEOUT: "20" }).proc;
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toContain(`run failed: orchestrator could not listen: an address is in use (its log above says which); set that one to a free address (now LISTEN_ADDR=127.0.0.1:${port}`);
    expect(r.all).not.toContain("nothing answers at AWS_ENDPOINT_URL");
  });
});

describe("the other scripts check their settings before waiting or probing", () => {
  it.each([
    [{ LISTEN_ADDR: "nonsense" }, [], `wait-ready: LISTEN_ADDR=nonsense: want ${ADDR}`],
    [{ PROCESSED: "0" }, [], `wait-ready: PROCESSED=0: want a whole number of requests, 1 to ${SYNTHETIC_COUNT_MAX}`],
    [{}, ["scorer"], "wait-ready: address scorer: want HOST:PORT, e.g. 127.0.0.1:50051"],
    [{}, ["127.0.0.1:70000"], "wait-ready: address 127.0.0.1:70000: want HOST:PORT, e.g. 127.0.0.1:50051"],
    [{ PROCESSED: "10", AWS_ENDPOINT_URL: "127.0.0.1:5000" }, [], "wait-ready: AWS_ENDPOINT_URL=127.0.0.1:5000: want an http:// or https:// URL, e.g. http://127.0.0.1:5000, or empty for AWS itself"],
  ])("wait-ready %j %j", async (env, args, line) => {
    const dir = repo(sqs);
    const r = await script(dir, "wait-ready", { WAIT_TIMEOUT: "5", ...env }, args);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(line);
    expect(started(dir)).toEqual([]);
  });

  it.each([
    ["SMOKE_HTTP_PORT", "abc"],
    ["SMOKE_WORKER_PORT", "0"],
    ["SMOKE_EMULATOR_PORT", "65536"],
  ])("smoke: %s=%s", async (name, value) => {
    const dir = repo(sqs);
    const r = await script(dir, "smoke", { [name]: value });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`smoke: ${name}=${value}: want a port number, 1 to 65535`);
    expect(started(dir)).toEqual([]);
  });
});

describe("make produce N=", () => {
  const make = (dir: string, args: string[]) =>
    execa("make", ["--no-print-directory", "-s", ...args], { cwd: dir, env: { PATH: standInPath(dir) }, stdin: "ignore", reject: false, all: true, timeout: 20_000 });

  it.each(["abc", "0", "-5", "1e3", String(SYNTHETIC_COUNT_MAX + 1), "99999999999999999999"])("refuses N=%s before probing the emulator", async (n) => {
    const dir = repo(sqs);
    const r = await make(dir, ["produce", `N=${n}`]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all.split("\n")[0]).toBe(`produce: N=${n}: want a whole number of requests, 1 to ${SYNTHETIC_COUNT_MAX}`);
    expect(r.all).not.toContain("nothing answers");
    expect(started(dir)).toEqual([]);
  });

  it.each([
    [["bootstrap", "AWS_ENDPOINT_URL=moto:5000"], "bootstrap: AWS_ENDPOINT_URL=moto:5000: want an http:// or https:// URL, e.g. http://127.0.0.1:5000, or empty for AWS itself"],
    [["produce", "AWS_ENDPOINT_URL=http://127.0.0.1:500000"], "produce: AWS_ENDPOINT_URL=http://127.0.0.1:500000: want an http:// or https:// URL, e.g. http://127.0.0.1:5000, or empty for AWS itself"],
    // The emulator serves plain HTTP on 127.0.0.1 at the URL's port: it needs one, checked before the install.
    ...["http://127.0.0.1", "https://127.0.0.1:5001", "http://example.com:5001", "http://127.0.0.1:5001/moto", "http://[::1]:5001", "http://127.0.0.1:0"].map(
      (url) => [["emulator", `AWS_ENDPOINT_URL=${url}`], `emulator: AWS_ENDPOINT_URL=${url}: want ${EMULATOR_URL}`] as [string[], string],
    ),
  ])("make %j refuses a malformed AWS_ENDPOINT_URL before reaching for it", async (args, line) => {
    const dir = repo(sqs);
    chmodSync(join(dir, "scripts", "emulator.sh"), 0o755);
    writeExecutable(dir, "fakebin/python3", `touch "${join(dir, "started", "go")}"`);
    const r = await make(dir, args);
    expect(r.exitCode, r.all).not.toBe(0);
    expect(r.all.split("\n")[0]).toBe(line);
    expect(started(dir)).toEqual([]);
  });

  it("passes a good N on to cmd/produce as one argument", async () => {
    const dir = repo(sqs);
    writeExecutable(dir, "fakebin/curl", "exit 0");
    writeExecutable(dir, "fakebin/go", goBuildStandIn(`printf '%s\\n' "$TOOL" "$@" > "$PWD/../started/go-args"`));
    const r = await make(dir, ["produce", "N=1000"]);
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(join(dir, "started", "go-args"), "utf8")).toBe("produce\n-count\n1000\n");
  });
});

/**
 * `make run`, `make smoke` and `make bench` depended on build alone, so a bad
 * setting (`make smoke SMOKE_WORKER_PORT=99999`, `make bench BENCH_RATE=abc`,
 * a misspelt `BENCH_ONLY=`) was refused only after minutes of go and cargo
 * builds. Each script's --check makes its checks (scripts/checks.sh) and
 * nothing else, and build waits for the checks of the goals named (make -j
 * too). Here go and cargo record every call: a refused setting leaves none.
 */
describe("make run, smoke and bench refuse a bad setting before building anything", () => {
  const kinesis = render(parseManifest({ name: "chk-app", orchestrator: { module: "example.com/chk-app/orchestrator", ingress: "kinesis" } }));
  const trees: Record<string, Tree> = { http, sqs, kinesis };
  const SERVICE_SETTING = "the orchestrator reads no WORKER_ name but WORKER_SCORER_ADDR and a per-service WORKER_<NAME>_<VAR> (README, Configuration)";

  /** The repo of repo(), with go and cargo stand-ins that append their arguments to started/toolchain. */
  function toolchainRepo(tree: Tree): string {
    const dir = repo(tree);
    for (const script of readdirSync(join(dir, "scripts"))) chmodSync(join(dir, "scripts", script), 0o755);
    const record = (tool: string) => `echo "${tool} $*" >> "${join(dir, "started", "toolchain")}"\nexit 1`;
    writeExecutable(dir, "fakebin/go", record("go"));
    writeExecutable(dir, "fakebin/cargo", record("cargo"));
    return dir;
  }
  const make = (dir: string, args: string[]) =>
    execa("make", ["--no-print-directory", "-s", ...args], { cwd: dir, env: { PATH: standInPath(dir) }, extendEnv: false, stdin: "ignore", reject: false, all: true, timeout: 20_000 });
  const toolchain = (dir: string) => (existsSync(join(dir, "started", "toolchain")) ? readFileSync(join(dir, "started", "toolchain"), "utf8") : "");

  it.each([
    ["http", ["run", "LISTEN_ADDR=nonsense"], `run: LISTEN_ADDR=nonsense: want ${ADDR}`],
    ["http", ["-j4", "run", "WORKER_SCORER_ADDR=scorer"], `run: WORKER_SCORER_ADDR=scorer: want ${UNIX}`],
    ["sqs", ["run", "LISTEN_ADDR=127.0.0.1:50051"], "run failed: orchestrator would listen on 127.0.0.1:50051 (LISTEN_ADDR), where scorer listens on 127.0.0.1:50051 (WORKER_SCORER_ADDR): set LISTEN_ADDR to another port"],
    ["sqs", ["run", "AWS_ENDPOINT_URL=localhost:5000"], "run: AWS_ENDPOINT_URL=localhost:5000: want an http:// or https:// URL, e.g. http://127.0.0.1:5000, or empty for AWS itself"],
    ["kinesis", ["run", "WAIT_TIMEOUT=soon"], "run: WAIT_TIMEOUT=soon: want a whole number of seconds, 1 or more"],
    ["kinesis", ["run", "KINESIS_STREAM=s"], "run: KINESIS_STREAM=s: want a setting: the orchestrator reads no KINESIS_ name but KINESIS_STREAM_NAME, KINESIS_MAX_ATTEMPTS, KINESIS_INITIAL_POSITION"],
    ["http", ["run", "SHUTDOWN_TIMEOUT=10"], "run: SHUTDOWN_TIMEOUT=10: want a positive Go duration such as 2s or 500ms"],
    ["http", ["run", "SHUTDOWN_DELAY=-1s"], "run: SHUTDOWN_DELAY=-1s: want a Go duration of 0 or more, such as 5s"],
    ["sqs", ["run", "WORKER_SCORER_SHUTDOWN_GRACE_SECS=1.5"], `run: WORKER_SCORER_SHUTDOWN_GRACE_SECS=1.5: want whole seconds from 0 to ${WORKER_MAX_DRAIN_SECS}`],
    ["sqs", ["run", `SHUTDOWN_GRACE_SECS=${WORKER_MAX_DRAIN_SECS + 1}`], `run: SHUTDOWN_GRACE_SECS=${WORKER_MAX_DRAIN_SECS + 1}: want whole seconds from 0 to ${WORKER_MAX_DRAIN_SECS}`],
    ["sqs", ["smoke", "SMOKE_WORKER_PORT=99999"], "smoke: SMOKE_WORKER_PORT=99999: want a port number, 1 to 65535"],
    ["sqs", ["smoke", "WORKER_PORT=99999"], `smoke: WORKER_PORT=99999: want a setting: ${SERVICE_SETTING}`],
    ["http", ["smoke", "SMOKE_EMULATOR_PORT=15000"], "smoke: SMOKE_EMULATOR_PORT=15000 does not apply here (HTTP ingress: no emulator); smoke reads only SMOKE_HTTP_PORT SMOKE_WORKER_PORT"],
    ["http", ["bench", "BENCH_RATE=abc"], "bench: BENCH_RATE=abc: want a number of requests per second above 0, e.g. 500 or 12.5"],
    ["http", ["bench", "BENCH_RATE=0"], "bench: BENCH_RATE=0: want a number of requests per second above 0, e.g. 500 or 12.5"],
    ["sqs", ["bench", "BENCH_CONCURRENCY=1.5"], "bench: BENCH_CONCURRENCY=1.5: want a whole number of requests in flight, 1 or more"],
    ["http", ["bench", "BENCH_DURATION=5"], "bench: BENCH_DURATION=5: want a positive Go duration such as 2s or 500ms"],
    ["http", ["bench", "BENCH_TRANSPORT=unix"], "bench: BENCH_TRANSPORT=unix: want tcp or uds"],
    ["http", ["bench", "BENCH_ONLY=model"], "bench: BENCH_ONLY=model does not apply here; bench reads only BENCH_DURATION BENCH_RUNS BENCH_RATE BENCH_CONCURRENCY BENCH_TRANSPORT BENCH_PIN"],
    ["kinesis", ["bench", "MODEL_FILE=/m.json"], "bench: MODEL_FILE=/m.json: want a setting: the worker reads no MODEL_ name but MODEL_PATH"],
  ])("%s: make %j", async (preset, args, line) => {
    const dir = toolchainRepo(trees[preset]!);
    const r = await make(dir, args);
    expect(r.exitCode, r.all).not.toBe(0);
    expect(r.all.split("\n")[0]).toBe(line);
    expect(r.all).not.toMatch(/\bbuild\b/);
    expect(toolchain(dir)).toBe("");
    expect(started(dir)).toEqual([]);
  });

  it("escapes a control character in the value, as every check does", async () => {
    const dir = toolchainRepo(http);
    const r = await execa("make", ["-s", "bench"], { cwd: dir, env: { PATH: standInPath(dir), BENCH_RATE: "12\u001b[2J" }, extendEnv: false, stdin: "ignore", reject: false, all: true });
    expect(r.all.split("\n")[0]).toBe("bench: BENCH_RATE=$'12\\E[2J': want a number of requests per second above 0, e.g. 500 or 12.5");
    expect(toolchain(dir)).toBe("");
  });

  it.each([
    ["run", ["run", "LISTEN_ADDR=127.0.0.1:FREE", "AWS_ENDPOINT_URL=", "SHUTDOWN_TIMEOUT=1m30s", "SHUTDOWN_GRACE_SECS=+007", "WORKER_SCORER_SHUTDOWN_GRACE_SECS=0"]],
    ["smoke", ["smoke", "SMOKE_WORKER_PORT=FREE", "SMOKE_HTTP_PORT=FREE", "SMOKE_EMULATOR_PORT=FREE"]],
    ["bench", ["bench", "BENCH_RATE=12.5", "BENCH_CONCURRENCY=4", "BENCH_DURATION=500ms"]],
    // A queue preset's bench starts no orchestrator, whose namespace SQS_ is then none of its business.
    ["bench of a queue preset, with a name only the orchestrator would refuse", ["bench", "SQS_QUEUE=q"]],
    ["build alone, which checks nothing", ["build", "LISTEN_ADDR=nonsense"]],
  ])("good settings pass to the build: %s", async (_, given) => {
    const dir = toolchainRepo(sqs);
    // FREE: a free port, as the checks refuse one another process holds.
    const args = await Promise.all(given.map(async (a) => a.replace("FREE", String(await freePort()))));
    const r = await make(dir, args);
    // The stand-in go fails the build, so nothing runs after it.
    expect(r.exitCode, r.all).not.toBe(0);
    expect(toolchain(dir)).toBe("go build -trimpath -o ../bin/orchestrator ./cmd/orchestrator\n");
    expect(started(dir)).toEqual([]);
  });
});
