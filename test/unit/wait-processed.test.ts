import { execa } from "execa";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { SYNTHETIC_COUNT_MAX } from "../../src/render/settings.js";
import { freePort } from "../../src/validate/ports.js";
import { tempDir } from "../helpers/temp-dirs.js";
import { LIB_SCRIPTS, goBuildStandIn, writeExecutable } from "../helpers/run-script-repo.js";

/**
 * `make wait-ready PROCESSED=N` (scripts/wait-ready.sh), which the queue
 * presets' "Try it" block runs after `make produce N=1000`. It used to add up
 * the orchestrator's delivery counters, so a redelivered request stood in for
 * one still in flight and it returned early; now it waits for a result of
 * each of the N requests where the sink keeps it (cmd/verify -count, whose
 * counting the generated repo's Go tests cover and the e2e docs test runs for
 * real). Here: what the script hands to cmd/verify, from where, and that its
 * answer is the script's, with a stand-in `go` and orchestrator.
 */
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function readyOrchestrator(): Promise<number> {
  server = createServer((req, res) => res.end(req.url === "/readyz" ? "ok" : ""));
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return (server.address() as { port: number }).port;
}

function repo(sink: "none" | "dynamodb", goExit: number): string {
  const tree = render(parseManifest({ name: "wait-app", orchestrator: { module: "example.com/wait-app/orchestrator", ingress: "sqs", sink } }));
  const dir = tempDir("chb-wait-");
  for (const sub of ["scripts", "orchestrator", "fakebin"]) mkdirSync(join(dir, sub));
  for (const p of ["scripts/wait-ready.sh", ...LIB_SCRIPTS, "scripts/aws.sh"]) writeFileSync(join(dir, p), tree.get(p)!.content);
  writeExecutable(dir, "fakebin/go", goBuildStandIn(`echo "$PWD run ./cmd/$TOOL $*" > "${dir}/go-call"\nexit ${goExit}`));
  return dir;
}

async function wait(dir: string, env: Record<string, string>) {
  const port = await readyOrchestrator();
  return execa("bash", ["scripts/wait-ready.sh"], {
    cwd: dir,
    env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, LISTEN_ADDR: `127.0.0.1:${port}`, WAIT_TIMEOUT: "20", ...env },
    reject: false,
    all: true,
    timeout: 30_000,
  });
}

const goCall = (dir: string) => execa("cat", [join(dir, "go-call")]).then((r) => r.stdout);

describe("make wait-ready PROCESSED=N", () => {
  it("waits in cmd/verify for a result of each of the N synthetic requests, in the log make run writes (sink none)", async () => {
    const dir = repo("none", 0);
    const r = await wait(dir, { PROCESSED: "1000" });
    expect(r.exitCode, r.all).toBe(0);
    expect(await goCall(dir)).toMatch(new RegExp(`^${join(dir, "orchestrator")} run ./cmd/verify -count 1000 -wait \\d+s -log ../.run/orchestrator.log$`));
  });

  it("reads the results table where the sink keeps them (sink dynamodb)", async () => {
    const dir = repo("dynamodb", 0);
    const r = await wait(dir, { PROCESSED: "5" });
    expect(r.exitCode, r.all).toBe(0);
    expect(await goCall(dir)).toMatch(/ run \.\/cmd\/verify -count 5 -wait \d+s$/);
  });

  it("fails as cmd/verify fails (a request still without a result at the deadline)", async () => {
    const r = await wait(repo("none", 1), { PROCESSED: "1000" });
    expect(r.exitCode).toBe(1);
  });

  // Past SYNTHETIC_COUNT_MAX (or Go's int) it passed here and failed in verify's flag parsing.
  it.each(["lots", String(SYNTHETIC_COUNT_MAX + 1), "99999999999999999999"])("refuses PROCESSED=%s, not a count produce sends, before asking verify", async (n) => {
    const dir = repo("none", 0);
    const r = await wait(dir, { PROCESSED: n });
    expect(r.exitCode).toBe(2);
    expect(r.all).toContain(`wait-ready: PROCESSED=${n}: want a whole number of requests, 1 to ${SYNTHETIC_COUNT_MAX}`);
  });
});

/**
 * A wait that times out says why: what /readyz answered (it names what the
 * orchestrator waits for), or that nothing answers and `make run` is what
 * starts it. It used to print only "timed out after 60s".
 */
describe("make wait-ready that times out", () => {
  const timeOut = (dir: string, port: number) =>
    execa("bash", ["scripts/wait-ready.sh"], { cwd: dir, env: { LISTEN_ADDR: `127.0.0.1:${port}`, WAIT_TIMEOUT: "1" }, reject: false, all: true, timeout: 30_000 });

  it("with nothing listening, says to start the services with make run", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await timeOut(repo("none", 0), port);
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain(`/readyz): nothing answers there`);
    expect(r.all).toContain("start the services first (make run");
  });

  it("with the orchestrator not ready, shows what /readyz answered", async () => {
    server = createServer((_req, res) => {
      res.statusCode = 503;
      res.end("not ready: lease app-requests:shardId-0 renewal failing\n");
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const r = await timeOut(repo("none", 0), (server.address() as { port: number }).port);
    expect(r.exitCode).toBe(1);
    expect(r.all).toContain("/readyz): it answers 503: not ready: lease app-requests:shardId-0 renewal failing");
    expect(r.all).not.toContain("make run");
  });
});

/**
 * `make wait-ready` beside `make run OPS_LISTEN_ADDR=...` waited for /readyz on the API's port,
 * which serves none once OPS_LISTEN_ADDR moves it (the HTTP orchestrator), and timed out.
 */
describe("make wait-ready follows OPS_LISTEN_ADDR (http)", () => {
  it("waits for /readyz on the ops port", async () => {
    const tree = render(parseManifest({ name: "wait-app", orchestrator: { module: "example.com/wait-app/orchestrator", ingress: "http" } }));
    const dir = tempDir("chb-wait-ops-");
    mkdirSync(join(dir, "scripts"));
    for (const p of ["scripts/wait-ready.sh", ...LIB_SCRIPTS]) writeFileSync(join(dir, p), tree.get(p)!.content);
    const ops = await readyOrchestrator();
    const api = await freePort();
    const r = await execa("bash", ["scripts/wait-ready.sh"], { cwd: dir, env: { LISTEN_ADDR: `127.0.0.1:${api}`, OPS_LISTEN_ADDR: `127.0.0.1:${ops}`, WAIT_TIMEOUT: "3" }, reject: false, all: true, timeout: 30_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toContain(`ready: http://127.0.0.1:${ops}/readyz`);
  });
});
