import { execa } from "execa";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { freePort } from "../../src/validate/ports.js";
import { LIB_SCRIPTS, RUN_SCRIPTS, standInRepo, startScript, writeExecutable } from "../helpers/run-script-repo.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * The generated scripts/run.sh (make run) with stand-in services: cargo only
 * names the target directory, and bin/orchestrator and the worker are small
 * scripts that fail, serve or die the way the real ones can. What is asserted
 * is what run.sh says, and whom it blames.
 */
const tree = render(parseManifest({ name: "run-app", orchestrator: { module: "example.com/run-app/orchestrator", ingress: "http" } }));
const text = (path: string) => tree.get(path)!.content.toString("utf8");

/** A repo with run.sh, lib.sh and smoke.sh as generated (from `from`), and the given stand-ins for the orchestrator and the scorer worker. */
function repo(orchestrator: string, scorer: string, from: (path: string) => string | Uint8Array = text, queue = false): string {
  const paths = [...RUN_SCRIPTS, "scripts/smoke.sh", ...(queue ? ["scripts/aws.sh"] : [])];
  return standInRepo("chb-run-", {
    scripts: Object.fromEntries(paths.map((p) => [p, from(p)])),
    orchestrator,
    workers: { scorer },
    // cmd/smoke, which would find no orchestrator to talk to.
    commands: { go: `sleep 1; echo "smoke: the orchestrator does not answer" >&2; exit 1` },
  });
}

/**
 * run.sh in a process group of its own, as make run's is in a terminal (the group is what
 * Ctrl-C signals), Ctrl-C'd once it is ready.
 */
async function readyThenCtrlC(dir: string) {
  const started = startScript(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WORKER_SCORER_ADDR: "127.0.0.1:1" }, { detached: true, forceKillAfterDelay: false });
  expect(await started.until(/^ready:/m), started.seen()).toBe(true);
  process.kill(-started.proc.pid!, "SIGINT");
  return started;
}

/** run.sh to its end, with the orchestrator on a free port and the scorer on an address nothing dials. */
async function run(dir: string, env: Record<string, string> = {}) {
  return startScript(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WORKER_SCORER_ADDR: "127.0.0.1:1", WAIT_TIMEOUT: "20", ...env }).proc;
}

/** An orchestrator that serves /readyz and stops cleanly on SIGTERM, as the real one does. */
const serving = `mkdir -p "$PWD/.www" && echo ok > "$PWD/.www/readyz"
python3 -m http.server --bind 127.0.0.1 "\${LISTEN_ADDR##*:}" --directory "$PWD/.www" >/dev/null 2>&1 &
trap 'kill $!; echo "orchestrator: drained"; exit 0' TERM
echo "orchestrator: starting"
wait`;

describe("scripts/run.sh (make run)", () => {
  it("blames the worker that could not start, with its status and log, not the orchestrator it stops", async () => {
    // The worker's port is taken; the orchestrator is still starting (no SIGTERM handler yet: SIGTERM kills it, 143).
    const dir = repo(`echo "orchestrator: starting"\nexec sleep 30`, `echo "Error: binding 127.0.0.1:50051: Address already in use (os error 98)" >&2\nexit 1`);
    const r = await run(dir);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/gave up waiting for the orchestrator on [^\n]* to be ready \([^)]*\): scorer \(pid \d+\) exited/);
    // The report is run's own, on stderr; the services' output comes on stdout, in between anywhere in r.all.
    expect(r.stderr).toMatch(/scorer \(pid \d+\) exited with status 1; the end of \.run\/scorer\.log:\nError: binding 127\.0\.0\.1:50051: Address already in use/);
    // The log it names is still there to read after run has ended.
    expect(readFileSync(join(dir, ".run", "scorer.log"), "utf8")).toContain("Address already in use");
    // The hint names the variable that moves the service that could not start.
    expect(r.all).toContain("run failed: scorer could not listen: an address is in use (its log above says which); set that one to a free address (now WORKER_SCORER_ADDR=127.0.0.1:1 WORKER_SCORER_METRICS_ADDR=");
    expect(r.all).not.toMatch(/orchestrator \(pid|orchestrator exited|after SIGTERM/);
  });

  it("reports all a service wrote before it exited, though its log's copy (tee) lags, as on a busy machine", async () => {
    // The race seen under load: tee had not yet made the log when run read its end.
    const dir = repo(`echo "orchestrator failed: listen tcp 127.0.0.1:8080: bind: address already in use" >&2\nexit 1`, `echo "scorer: serving"\nexec sleep 30`);
    writeExecutable(dir, "fakebin/tee", `sleep 1\nPATH=\${PATH#*:} exec tee "$@"`);
    const r = await run(dir);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toMatch(/orchestrator \(pid \d+\) exited with status 1; the end of \.run\/orchestrator\.log:\norchestrator failed: listen tcp/);
  });

  it("names a service that exits after start-up, and stops the rest without blaming them", async () => {
    const dir = repo(serving, `echo "scorer: serving"\nsleep 1.5\necho "scorer: panicked" >&2\nexit 3`);
    const r = await run(dir);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/^ready: orchestrator on /m);
    expect(r.stderr).toMatch(/scorer \(pid \d+\) exited with status 3; the end of [^\n]*:\nscorer: serving\nscorer: panicked/);
    expect(r.all).toContain("run failed: a service exited; the others were stopped");
    expect(r.all).not.toMatch(/orchestrator \(pid|orchestrator exited|after SIGTERM/);
  });

  it("stops everything on SIGTERM and exits 0 when every service stops cleanly", async () => {
    const dir = repo(serving, `trap 'exit 0' TERM\necho "scorer: serving"\nwhile :; do sleep 0.1; done`);
    const { proc, until } = startScript(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WORKER_SCORER_ADDR: "127.0.0.1:1" });
    await until(/^ready:/m);
    proc.kill("SIGTERM");
    const r = await proc;
    expect(r.all).toMatch(/^ready:/m);
    expect(r.all).toContain("orchestrator: drained");
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).not.toContain("run failed");
  });

  it("on SIGTERM, the orchestrator's drain is on screen before the workers are stopped, though its copy (tee) lags", async () => {
    const dir = repo(serving, `trap 'echo "scorer: stopped"; exit 0' TERM\necho "scorer: serving"\nwhile :; do sleep 0.1; done`);
    // The orchestrator's tee, a line a second behind it; the others as they are.
    writeExecutable(dir, "fakebin/tee", `[[ $1 == *orchestrator.log ]] || PATH=\${PATH#*:} exec tee "$@"\n: >"$1"\nwhile IFS= read -r line; do sleep 1; printf '%s\\n' "$line" | tee -a "$1"; done`);
    const { proc, until } = startScript(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WORKER_SCORER_ADDR: "127.0.0.1:1" });
    expect(await until(/^ready:/m)).toBe(true);
    proc.kill("SIGTERM");
    const r = await proc;
    expect(r.exitCode, r.all).toBe(0);
    const drained = r.stdout.indexOf("orchestrator: drained");
    expect(drained, r.all).toBeGreaterThan(0);
    expect(r.stdout.indexOf("scorer: stopped"), r.all).toBeGreaterThan(drained);
  });

  it("a second SIGTERM during the stop (make's group signalled, and make forwarding it) still stops every worker", async () => {
    // The orchestrator takes a while to drain; the worker records that it was stopped.
    const orchestrator = `${serving.replace(`trap 'kill $!; echo "orchestrator: drained"; exit 0' TERM`, `trap 'echo "orchestrator: draining"; sleep 1.5; kill $!; echo "orchestrator: drained"; exit 0' TERM`)}`;
    const dir = repo(orchestrator, `trap 'echo stopped > "$PWD/scorer-stopped"; exit 0' TERM\necho "scorer: serving"\nwhile :; do sleep 0.1; done`);
    const { proc, until } = startScript(dir, { LISTEN_ADDR: `127.0.0.1:${await freePort()}`, WORKER_SCORER_ADDR: "127.0.0.1:1" });
    await until(/^ready:/m);
    proc.kill("SIGTERM");
    await until(/orchestrator: draining/);
    proc.kill("SIGTERM");
    const r = await proc;
    expect(r.all).toContain("orchestrator: drained");
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(join(dir, "scorer-stopped")), r.all).toBe(true);
    expect(r.exitCode, r.all).toBe(0);
  });

  it("Ctrl-C in a terminal (SIGINT to the whole process group) stops the orchestrator first, drained, then the workers", async () => {
    // Stand-ins in Python: a non-interactive bash ignores SIGINT in what it starts with &, and a
    // shell cannot trap a signal ignored at entry, while Go and Rust programs (as Python) install
    // their handlers over it, which is how the real services see a terminal's Ctrl-C.
    const orchestrator = `mkdir -p "$PWD/.www" && echo ok > "$PWD/.www/readyz"
exec python3 -u -c 'import functools, http.server as h, signal, sys, threading, time
def stop(sig, _):
    print("orchestrator: draining after", signal.Signals(sig).name)
    time.sleep(1.5)
    print("orchestrator: drained")
    sys.exit(0)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
srv = h.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), functools.partial(h.SimpleHTTPRequestHandler, directory=sys.argv[2]))
threading.Thread(target=srv.serve_forever, daemon=True).start()
while True: time.sleep(0.1)' "\${LISTEN_ADDR##*:}" "$PWD/.www"`;
    const scorer = `exec python3 -u -c 'import signal, sys, time
def stop(sig, _):
    print("scorer: stopped by", signal.Signals(sig).name)
    sys.exit(0)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
print("scorer: serving")
while True: time.sleep(0.1)'`;
    const dir = repo(orchestrator, scorer);
    const { proc, until, seen } = await readyThenCtrlC(dir);
    const r = await proc;
    expect(r.exitCode, r.all).toBe(0);
    // The Ctrl-C reached run.sh only: it stopped the orchestrator with SIGTERM, waited for its
    // drain, and only then stopped the worker.
    expect(r.all).toContain("orchestrator: draining after SIGTERM");
    expect(r.all).not.toContain("SIGINT");
    const drained = r.all!.indexOf("orchestrator: drained");
    const workerStopped = r.all!.indexOf("scorer: stopped by SIGTERM");
    expect(drained, r.all).toBeGreaterThan(0);
    expect(workerStopped, r.all).toBeGreaterThan(drained);
  });

  it("a second Ctrl-C during the stop reaches the services as one SIGINT each: the draining orchestrator exits at once", async () => {
    // Stand-ins with the services' stop-signal rule (README "Stopping"): the first SIGTERM or
    // SIGINT starts a drain (the orchestrator's lasts 20 s), a later SIGINT exits at once with 130.
    const rule = (name: string, drainSecs: number) => `import functools, http.server as h, os, signal, sys, threading, time
told = []
# One write a line: with -u, print writes the text and its newline apart, and lines of
# the two services interleaved mid-line ("orchestrator: got SIGINTscorer: got SIGINT").
def say(*words): sys.stdout.write(" ".join(words) + "\\n")
def on(sig, _):
    say("${name}: got", signal.Signals(sig).name)
    if told and sig == signal.SIGINT:
        say("${name}: exiting at once")
        os._exit(130)
    told.append(sig)
signal.signal(signal.SIGINT, on)
signal.signal(signal.SIGTERM, on)
if len(sys.argv) > 1:
    srv = h.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), functools.partial(h.SimpleHTTPRequestHandler, directory=sys.argv[2]))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
while not told: time.sleep(0.1)
say("${name}: draining")
time.sleep(${drainSecs})
say("${name}: drained")`;
    const orchestrator = `mkdir -p "$PWD/.www" && echo ok > "$PWD/.www/readyz"
exec python3 -u -c '${rule("orchestrator", 20)}' "\${LISTEN_ADDR##*:}" "$PWD/.www"`;
    const dir = repo(orchestrator, `exec python3 -u -c '${rule("scorer", 0)}'`);
    const { proc, until, seen } = await readyThenCtrlC(dir);
    expect(await until(/orchestrator: draining/), seen()).toBe(true);
    const second = Date.now();
    process.kill(-proc.pid!, "SIGINT");
    const r = await proc;
    // Well within the orchestrator's 20 s drain.
    expect(Date.now() - second, r.all).toBeLessThan(10_000);
    expect(r.all).toContain("orchestrator: exiting at once");
    expect(r.all).not.toContain("orchestrator: drained");
    // One signal per Ctrl-C: the first became the SIGTERM of the ordered stop, the second a SIGINT.
    expect(r.all!.match(/orchestrator: got SIG(?:INT|TERM)/g), r.all).toEqual(["orchestrator: got SIGTERM", "orchestrator: got SIGINT"]);
    expect(r.all).toMatch(/scorer: drained/);
    expect(r.exitCode, r.all).not.toBe(0);
  });

  it("make smoke names the service that died too, with its status and log", async () => {
    const dir = repo(`echo "orchestrator: starting"\nexec sleep 30`, `echo "Error: binding: Address already in use (os error 98)" >&2\nexit 1`);
    const r = await startScript(dir, { SMOKE_HTTP_PORT: String(await freePort()) }, {}, "smoke.sh").proc;
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toMatch(/scorer \(pid \d+\) exited with status 1; the end of \.smoke\/scorer\.log:\nError: binding: Address already in use/);
    expect(r.all).not.toMatch(/orchestrator \(pid/);
  });
});

describe("scripts/run.sh (make run) of a queue preset", () => {
  const sqs = render(parseManifest({ name: "run-app", orchestrator: { module: "example.com/run-app/orchestrator", ingress: "sqs" }, workers: [{ name: "scorer", transport: "uds" }] } as never));
  const fromSqs = (path: string) => sqs.get(path)!.content;
  it("says to start the emulator when the orchestrator gave up and nothing answers at AWS_ENDPOINT_URL", async () => {
    const dir = repo(`echo 'orchestrator failed: finding queue "run-app-requests": connection refused' >&2\nexit 1`, `echo "scorer: serving"\nexec sleep 30`, fromSqs, true);
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const r = await run(dir, { AWS_ENDPOINT_URL: endpoint, WORKER_SCORER_ADDR: `unix://${dir}/scorer.sock` });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toContain(`nothing answers at AWS_ENDPOINT_URL=${endpoint}: start the emulator (make emulator`);
    expect(r.all).not.toContain("is an address already in use?");
  });

  it("does not guess a taken address when the orchestrator exits for another reason (a queue bootstrap never made)", async () => {
    const dir = repo(`echo 'orchestrator failed: finding queue "run-app-requests": NonExistentQueue' >&2\nexit 1`, `echo "scorer: serving"\nexec sleep 30`, fromSqs, true);
    const r = await run(dir, { AWS_ENDPOINT_URL: "", WORKER_SCORER_ADDR: `unix://${dir}/scorer.sock` });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stderr).toMatch(/orchestrator \(pid \d+\) exited with status 1; the end of \.run\/orchestrator\.log:\norchestrator failed: finding queue/);
    expect(r.all).toMatch(/run failed: orchestrator did not start \(its log above says why\)\n*$/);
    expect(r.all, "no address is taken: no hint to move one").not.toContain("free address");
    expect(r.all).not.toContain("is an address already in use?");
    expect(r.all, "no endpoint to blame: real AWS").not.toContain("nothing answers");
  });
});

/**
 * make smoke and make bench read their own settings (SMOKE_*, BENCH_*) only
 * where they apply: one that does not (a worker port with every worker on a
 * Unix socket, an emulator port with HTTP ingress) or a misspelt one stops
 * the script before it starts anything, naming the ones it reads.
 */
describe("scripts/smoke.sh and scripts/bench.sh refuse settings they would ignore", () => {
  const cases: [string, string, string, string, string][] = [
    ["http", "uds", "SMOKE_WORKER_PORT", "every worker listens on a Unix socket: no worker port; HTTP ingress: no emulator", "SMOKE_HTTP_PORT"],
    ["sqs", "uds", "SMOKE_WORKER_PORT", "every worker listens on a Unix socket: no worker port", "SMOKE_HTTP_PORT SMOKE_EMULATOR_PORT"],
    ["http", "tcp", "SMOKE_EMULATOR_PORT", "HTTP ingress: no emulator", "SMOKE_HTTP_PORT SMOKE_WORKER_PORT"],
    ["sqs", "tcp", "SMOKE_HTTP_PROT", "", "SMOKE_HTTP_PORT SMOKE_WORKER_PORT SMOKE_EMULATOR_PORT"],
  ];
  it.each(cases)("smoke, %s with a %s worker: %s", async (ingress, transport, variable, note, reads) => {
    const preset = render(parseManifest({ name: "run-app", orchestrator: { module: "example.com/run-app/orchestrator", ingress }, workers: [{ name: "scorer", transport }] } as never));
    const dir = tempDir("chb-smoke-");
    mkdirSync(join(dir, "scripts"));
    for (const path of ["scripts/smoke.sh", ...LIB_SCRIPTS, "scripts/services.sh"]) writeFileSync(join(dir, path), preset.get(path)!.content);
    const r = await execa("bash", ["scripts/smoke.sh"], { cwd: dir, env: { [variable]: "50200" }, reject: false, all: true, timeout: 60_000 });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toBe(`smoke: ${variable}=50200 does not apply here${note ? ` (${note})` : ""}; smoke reads only ${reads}`);
    expect(existsSync(join(dir, ".smoke")), "started nothing").toBe(false);
  });

  it("bench: a misspelt BENCH_ setting", async () => {
    const dir = tempDir("chb-bench-");
    mkdirSync(join(dir, "scripts"));
    for (const path of ["scripts/bench.sh", ...LIB_SCRIPTS, "scripts/services.sh"]) writeFileSync(join(dir, path), text(path));
    const r = await execa("bash", ["scripts/bench.sh"], { cwd: dir, env: { BENCH_RUN: "3" }, reject: false, all: true, timeout: 60_000 });
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toMatch(/^bench: BENCH_RUN=3 does not apply here; bench reads only BENCH_DURATION BENCH_RUNS /);
  });
});

describe("scripts/run.sh (make run) when every service runs but the orchestrator is never ready", () => {
  // A Kinesis orchestrator started before `make bootstrap` keeps retrying the missing stream:
  // nothing exited, so no address is in use, and run used to guess one anyway.
  it.each(["http", "sqs", "kinesis"] as const)("%s: says so, and does not guess a taken address", async (ingress) => {
    const queue = ingress !== "http";
    const tree = render(parseManifest({ name: "run-app", orchestrator: { module: "example.com/run-app/orchestrator", ingress } }));
    const dir = repo(`echo "orchestrator: describing the stream: ResourceNotFoundException"\nexec sleep 30`, `echo "scorer: serving"\nexec sleep 30`, (path) => tree.get(path)!.content, queue);
    const r = await run(dir, { WAIT_TIMEOUT: "2", ...(queue ? { AWS_ENDPOINT_URL: "" } : {}) });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toContain("run failed: every service is running, but the orchestrator was not ready within 2s: /readyz's answer and the logs above say why (a worker not SERVING");
    // Only the Kinesis orchestrator waits for a missing stream; the SQS one exits without its queue.
    expect(r.all).toContain(ingress === "kinesis" ? "SERVING, or the stream not made yet: make bootstrap); WAIT_TIMEOUT=SECONDS waits longer" : "SERVING); WAIT_TIMEOUT=SECONDS waits longer");
    expect(r.all).not.toContain("if an address is in use");
  });
});
