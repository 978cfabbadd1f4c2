import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer as httpServer, type Server } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { freePort } from "../../src/validate/ports.js";
import { tempDir } from "../helpers/temp-dirs.js";
import { LIB_SCRIPTS, goBuildStandIn, writeExecutable } from "../helpers/run-script-repo.js";

/**
 * The queue presets' local commands that need the AWS endpoint say so when
 * nothing answers there (scripts/aws.sh aws_endpoint_up), rather than fail on
 * what they would do next: `make produce` without `make emulator` used to
 * print the SDK's "connection refused" under a hint to run bootstrap. Here the
 * rendered Makefile's produce target runs with a stand-in `go`.
 */
let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

function repo(ingress: "sqs" | "kinesis"): string {
  const tree = render(parseManifest({ name: "up-app", orchestrator: { module: "example.com/up-app/orchestrator", ingress } }));
  const dir = tempDir("chb-up-");
  for (const sub of ["scripts", "orchestrator", "fakebin"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "Makefile"), tree.get("Makefile")!.content);
  for (const p of [...LIB_SCRIPTS, "scripts/aws.sh"]) writeFileSync(join(dir, p), tree.get(p)!.content);
  writeExecutable(dir, "fakebin/go", goBuildStandIn(`echo "$TOOL $*" > "${dir}/go-call"`));
  return dir;
}

const produce = (dir: string, endpoint: string) =>
  execa("make", ["produce"], { cwd: dir, env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, AWS_ENDPOINT_URL: endpoint }, reject: false, all: true, timeout: 30_000 });

describe.each(["sqs", "kinesis"] as const)("make produce, %s", (ingress) => {
  it("with nothing at AWS_ENDPOINT_URL, says to start the emulator and sends nothing", async () => {
    const dir = repo(ingress);
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const r = await produce(dir, endpoint);
    expect(r.exitCode, r.all).not.toBe(0);
    expect(r.all).toContain(`nothing answers at AWS_ENDPOINT_URL=${endpoint}: start the emulator (make emulator`);
    expect(existsSync(join(dir, "go-call")), "cmd/produce ran").toBe(false);
  });

  it("with the emulator answering, runs cmd/produce", async () => {
    const dir = repo(ingress);
    server = httpServer((_req, res) => res.end(""));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const r = await produce(dir, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(join(dir, "go-call")), r.all).toBe(true);
  });
});

/**
 * The tools ran as `go run ./cmd/NAME`, which ends a failing program with exit
 * status 1 whatever its own, and a line of its own, "exit status N", under the
 * tool's one-line error. The stand-in go does as go does for both commands.
 */
describe.each(["sqs", "kinesis"] as const)("a failing tool under make, %s", (ingress) => {
  const TOOL = `echo "$TOOL: the stream is missing (make bootstrap creates it)" >&2; exit 3`;
  const GO = [
    // go run: the program's failure is reported as "exit status N" and exit 1.
    `if [ "$1" = run ]; then TOOL=\${2#./cmd/}; shift 2; ( ${TOOL} ); s=$?; if [ $s -ne 0 ]; then echo "exit status $s" >&2; exit 1; fi; exit 0; fi`,
    goBuildStandIn(TOOL),
  ].join("\n");

  it.each(["produce", "bootstrap"])("make %s ends on the tool's own line, with its exit status", async (target) => {
    const dir = repo(ingress);
    writeExecutable(dir, "fakebin/go", GO);
    server = httpServer((_req, res) => res.end(""));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const r = await execa("make", ["-s", target], { cwd: dir, env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, AWS_ENDPOINT_URL: endpoint }, stdin: "ignore", reject: false, all: true, timeout: 30_000 });
    const lines = r.all.trim().split("\n");
    expect(lines[0], r.all).toBe(`${target}: the stream is missing (make bootstrap creates it)`);
    expect(r.all).not.toContain("exit status");
    expect(lines.at(-1)).toMatch(/\bError 3$/);
  });
});

const bootstrap = (dir: string, endpoint: string) =>
  execa("make", ["bootstrap"], { cwd: dir, env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, AWS_ENDPOINT_URL: endpoint }, reject: false, all: true, timeout: 60_000 });

/**
 * make bootstrap waits up to 300 s for the endpoint to answer (make emulator may still be
 * starting): it used to wait all of that without a word. (A value that is no URL is
 * refused before any wait: script-setting-checks.test.ts.)
 */
describe.each(["sqs", "kinesis"] as const)("make bootstrap, %s", (ingress) => {
  it("says what it waits for and how long, then bootstraps once the endpoint answers", async () => {
    const dir = repo(ingress);
    const port = await freePort();
    const proc = bootstrap(dir, `http://127.0.0.1:${port}`);
    let seen = "";
    proc.all?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
    for (let i = 0; i < 200 && !seen.includes("waiting"); i++) await new Promise((r) => setTimeout(r, 50));
    // It says what serves it: waiting five minutes on an emulator nobody started told no one to start it.
    expect(seen).toContain(`waiting up to 300 s for the AWS endpoint at http://127.0.0.1:${port} (the local one is make emulator's, in a terminal of its own)`);
    server = httpServer((_req, res) => res.end(""));
    await new Promise<void>((r) => server!.listen(port, "127.0.0.1", r));
    const r = await proc;
    expect(r.exitCode, r.all).toBe(0);
    expect(existsSync(join(dir, "go-call")), r.all).toBe(true);
  });
});
