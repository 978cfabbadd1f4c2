import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { freePort } from "../../src/validate/ports.js";
import { LIB_SCRIPTS, RUN_SCRIPTS, standInRepo, startScript } from "../helpers/run-script-repo.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * A script that starts a service on a fixed port must never take another
 * process's listener there for its own. Two `make smoke` at once both said
 * "smoke passed": the second one's services all exited "address already in
 * use", and its waits took the first run's answers (on the same ports, logging
 * to the same .smoke/) for theirs. Here the other process is an HTTP server
 * answering 200 to everything, as a ready orchestrator or emulator does.
 */
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Another process's listener on a free loopback port, answering 200; its port. */
async function squatter(): Promise<number> {
  const port = await freePort();
  const server = createServer((_req, res) => res.end("ok"));
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return port;
}

const tree = render(parseManifest({ name: "port-app", orchestrator: { module: "example.com/port-app/orchestrator", ingress: "http" } }));
const text = (path: string) => tree.get(path)!.content;

/** The orchestrator as it fails on a taken port; it also marks that it was started. */
const bindFails = `touch "$PWD/orchestrator-started"\necho "listen tcp $LISTEN_ADDR: bind: address already in use" >&2\nexit 1`;
/** A worker that serves until stopped. */
const serving = `trap 'exit 0' TERM\necho "scorer: serving"\nwhile :; do sleep 0.1; done`;

/**
 * run.sh, smoke.sh and their scripts, with stand-ins. cmd/smoke (go) passes when the
 * orchestrator's address answers /readyz, whoever answers, as the real one's wait does.
 */
function repo(orchestrator: string): string {
  const paths = [...RUN_SCRIPTS, "scripts/smoke.sh"];
  return standInRepo("chb-ports-", {
    scripts: Object.fromEntries(paths.map((p) => [p, text(p)])),
    orchestrator,
    workers: { scorer: serving },
    commands: {
      go: `for a in "$@"; do case $a in http://*) base=$a ;; esac; done
curl -fsS -o /dev/null "$base/readyz"`,
    },
  });
}

describe("make smoke with a port taken", () => {
  it("fails at once, naming the port and the setting that moves it, and starts nothing", async () => {
    const port = await squatter();
    const dir = repo(bindFails);
    const r = await startScript(dir, { SMOKE_HTTP_PORT: String(port), SMOKE_WORKER_PORT: String(await freePort()) }, {}, "smoke.sh").proc;
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toBe(`smoke failed: 127.0.0.1:${port} is in use by another process (another make smoke?): set SMOKE_HTTP_PORT to a free port`);
    expect(existsSync(join(dir, "orchestrator-started")), "started the orchestrator").toBe(false);
    expect(existsSync(join(dir, ".smoke/running")), "left its lock").toBe(false);
  });

  it("refuses it with --check too, which make runs before it builds", async () => {
    const port = await squatter();
    const dir = repo(bindFails);
    const r = await execa("bash", ["scripts/smoke.sh", "--check"], { cwd: dir, env: { SMOKE_HTTP_PORT: String(port) }, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toContain(`smoke failed: 127.0.0.1:${port} is in use by another process`);
  });

  it("a worker's port: names SMOKE_WORKER_PORT", async () => {
    const port = await squatter();
    const r = await startScript(repo(bindFails), { SMOKE_HTTP_PORT: String(await freePort()), SMOKE_WORKER_PORT: String(port) }, {}, "smoke.sh").proc;
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toContain(`smoke failed: 127.0.0.1:${port} is in use by another process (another make smoke?): set SMOKE_WORKER_PORT to move the workers`);
  });

  it("a second make smoke in the same repo fails at once, naming the first, and leaves its logs alone", async () => {
    // The first run's orchestrator never gets ready: that smoke waits for it meanwhile.
    const dir = repo(`trap 'exit 0' TERM\necho "orchestrator: first run"\nwhile :; do sleep 0.1; done`);
    const env = { SMOKE_HTTP_PORT: String(await freePort()), SMOKE_WORKER_PORT: String(await freePort()) };
    const first = startScript(dir, env, {}, "smoke.sh");
    const log = join(dir, ".smoke/orchestrator.log");
    for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, "utf8")); i++) await new Promise((r) => setTimeout(r, 50));
    const second = await execa("bash", ["scripts/smoke.sh"], { cwd: dir, env: { ...env, PATH: `${join(dir, "fakebin")}:${process.env.PATH}` }, reject: false, all: true, timeout: 30_000 });
    expect(second.exitCode, second.all).toBe(1);
    expect(second.all).toBe(
      `smoke failed: another make smoke (pid ${first.proc.pid}) is running in this repo: wait for it to end, or remove .smoke/running if none runs`,
    );
    expect(readFileSync(log, "utf8")).toBe("orchestrator: first run\n");
    first.proc.kill("SIGTERM");
    await first.proc;
  });

  it("takes over a lock whose run is gone (killed before it could remove it)", async () => {
    const dir = repo(bindFails);
    mkdirSync(join(dir, ".smoke"));
    // A pid no process has: the highest Linux allows, beyond pid_max.
    await execa("ln", ["-s", "4194305", join(dir, ".smoke/running")]);
    const port = await squatter();
    const r = await startScript(dir, { SMOKE_HTTP_PORT: String(port), SMOKE_WORKER_PORT: String(await freePort()) }, {}, "smoke.sh").proc;
    expect(r.all).toContain(`smoke failed: 127.0.0.1:${port} is in use`);
  });
});

describe("make run with its address taken", () => {
  it("fails at once, naming the address and the variable that moves it, instead of saying ready", async () => {
    const port = await squatter();
    const dir = repo(bindFails);
    const r = await startScript(dir, { LISTEN_ADDR: `127.0.0.1:${port}`, WORKER_SCORER_ADDR: `127.0.0.1:${await freePort()}`, WAIT_TIMEOUT: "10" }).proc;
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toBe(`run failed: 127.0.0.1:${port} is in use by another process (another make run?): set LISTEN_ADDR to a free address`);
    expect(existsSync(join(dir, "orchestrator-started")), "started the orchestrator").toBe(false);
  });
});

describe("scripts/lib.sh wait_http", () => {
  it("fails, naming it, when a process it waits on has exited, though something answers the URL", async () => {
    const port = await squatter();
    const dir = tempDir("chb-wait-");
    mkdirSync(join(dir, "scripts"));
    for (const p of LIB_SCRIPTS) writeFileSync(join(dir, p), text(p));
    writeFileSync(join(dir, "wait.sh"), `. scripts/lib.sh\n(exit 1) & started $! orchestrator log\nsleep 0.3\nwait_http http://127.0.0.1:${port}/readyz "the orchestrator" 5 "$!"`);
    const r = await execa("bash", ["wait.sh"], { cwd: dir, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/gave up waiting for the orchestrator \([^)]*\): orchestrator \(pid \d+\) exited/);
  });
});

describe("make emulator with its port taken", () => {
  it("fails at once, naming the port and AWS_ENDPOINT_URL, and runs no moto", async () => {
    const port = await squatter();
    const queue = render(parseManifest({ name: "port-app", orchestrator: { module: "example.com/port-app/orchestrator", ingress: "sqs" } }));
    const dir = tempDir("chb-emu-");
    for (const sub of ["scripts", ".venv/bin"]) mkdirSync(join(dir, sub), { recursive: true });
    for (const p of ["scripts/emulator.sh", "scripts/aws.sh", ...LIB_SCRIPTS]) writeFileSync(join(dir, p), queue.get(p)!.content);
    writeFileSync(join(dir, ".venv/bin/moto_server"), `#!/usr/bin/env bash\ntouch "$PWD/moto-started"\n`);
    chmodSync(join(dir, ".venv/bin/moto_server"), 0o755);
    const r = await execa("bash", ["scripts/emulator.sh"], { cwd: dir, env: { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` }, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(new RegExp(`^emulator failed: 127\\.0\\.0\\.1:${port} is in use by another process \\(another make emulator\\?\\): set AWS_ENDPOINT_URL to move it`));
    expect(existsSync(join(dir, "moto-started"))).toBe(false);
  });
});
