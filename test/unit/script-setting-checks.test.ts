import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { freePort } from "../../src/validate/ports.js";
import { standInPath, standInRepo, startScript, writeExecutable } from "../helpers/run-script-repo.js";

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

const scripts = ["scripts/run.sh", "scripts/lib.sh", "scripts/checks.sh", "scripts/services.sh", "scripts/smoke.sh", "scripts/wait-ready.sh", "scripts/aws.sh", "Makefile"];

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

const ADDR = "HOST:PORT, e.g. 127.0.0.1:8080, :8080 or [::1]:8080, PORT 0 to 65535";

describe("make run refuses a malformed address before starting anything", () => {
  it.each([
    ["LISTEN_ADDR", "nonsense", ADDR],
    ["LISTEN_ADDR", "127.0.0.1:99999", ADDR],
    ["LISTEN_ADDR", "127.0.0.1:", ADDR],
    ["LISTEN_ADDR", "unix:///tmp/o.sock", ADDR],
    ["METRICS_ADDR", "localhost", ADDR],
    ["WORKER_SCORER_ADDR", "scorer", `${ADDR}, or unix://PATH`],
    ["WORKER_SCORER_METRICS_ADDR", "127.0.0.1:9x", ADDR],
  ])("%s=%s", async (name, value, want) => {
    const dir = repo(sqs);
    const r = await script(dir, "run", { [name]: value, WAIT_TIMEOUT: "5" });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`run: ${name}=${value}: want ${want}`);
    expect(started(dir)).toEqual([]);
  });

  it("escapes an invisible character in the value it echoes", async () => {
    const r = await script(repo(http), "run", { LISTEN_ADDR: "127.0.0.1:80\u001b[2J80" });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`run: LISTEN_ADDR=$'127.0.0.1:80\\E[2J80': want ${ADDR}`);
  });

  it.each([":0", "0.0.0.0:8080", "[::1]:8080", "localhost:65535"])("takes LISTEN_ADDR=%s", async (value) => {
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
    [{ PROCESSED: "0" }, [], "wait-ready: PROCESSED=0: want a whole number of requests, 1 or more"],
    [{}, ["scorer"], "wait-ready: address scorer: want HOST:PORT, e.g. 127.0.0.1:50051"],
    [{}, ["127.0.0.1:70000"], "wait-ready: address 127.0.0.1:70000: want HOST:PORT, e.g. 127.0.0.1:50051"],
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

  it.each(["abc", "0", "-5", "1e3"])("refuses N=%s before probing the emulator", async (n) => {
    const dir = repo(sqs);
    const r = await make(dir, ["produce", `N=${n}`]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all.split("\n")[0]).toBe(`produce: N=${n}: want a whole number of requests, 1 or more`);
    expect(r.all).not.toContain("nothing answers");
    expect(started(dir)).toEqual([]);
  });

  it("passes a good N on to cmd/produce as one argument", async () => {
    const dir = repo(sqs);
    writeExecutable(dir, "fakebin/curl", "exit 0");
    writeExecutable(dir, "fakebin/go", `printf '%s\\n' "$@" > "$PWD/../started/go-args"`);
    const r = await make(dir, ["produce", "N=1000"]);
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(join(dir, "started", "go-args"), "utf8")).toBe("run\n./cmd/produce\n-count\n1000\n");
  });
});
