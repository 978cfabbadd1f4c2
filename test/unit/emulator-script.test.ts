import { execa } from "execa";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { tempDir } from "../helpers/temp-dirs.js";
import { LIB_SCRIPTS } from "../helpers/run-script-repo.js";

/**
 * `make emulator` (scripts/emulator.sh) in the README's Try-it shares its
 * terminal with the services: moto's access log, a line per request (one per
 * stored result), goes to a file the README names, and the first run's silent
 * minute of `pip install` says what it is doing. python3, pip and moto_server
 * are stand-ins.
 */
const tree = render(parseManifest({ name: "emu-app", orchestrator: { module: "example.com/emu-app/orchestrator", ingress: "sqs" } }));
const text = (path: string) => tree.get(path)!.content.toString("utf8");

/** A moto that logs two requests and exits. */
const MOTO = `echo " * Running on http://127.0.0.1:$4"\necho '127.0.0.1 - - "POST / HTTP/1.1" 200 -'\necho '127.0.0.1 - - "POST / HTTP/1.1" 200 -'`;

function repo(installed: boolean): string {
  const dir = tempDir("chb-emulator-");
  for (const sub of ["scripts", "fakebin"]) mkdirSync(join(dir, sub), { recursive: true });
  for (const p of ["scripts/emulator.sh", "scripts/aws.sh", ...LIB_SCRIPTS]) writeFileSync(join(dir, p), text(p));
  const exe = (path: string, body: string) => {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, path), 0o755);
  };
  if (installed) exe(".venv/bin/moto_server", MOTO);
  // python3 -m venv .venv makes a pip whose install puts moto_server in place.
  exe("fakebin/moto", MOTO);
  exe("fakebin/pip", "cp fakebin/moto .venv/bin/moto_server");
  exe("fakebin/python3", "mkdir -p .venv/bin && cp fakebin/pip .venv/bin/pip");
  return dir;
}

function emulator(dir: string, ...args: string[]) {
  return execa("bash", ["scripts/emulator.sh", ...args], { cwd: dir, env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}` }, extendEnv: false, reject: false, all: true });
}

describe("make emulator", () => {
  it("logs moto's requests to .run/emulator.log, and says so, not to the terminal", async () => {
    const dir = repo(true);
    const r = await emulator(dir, "5999");
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toBe("emulator: moto on http://127.0.0.1:5999, logging every request to .run/emulator.log");
    expect(readFileSync(join(dir, ".run/emulator.log"), "utf8")).toContain('"POST / HTTP/1.1" 200');
  });

  it("says what it is doing while it installs moto on first use", async () => {
    const dir = repo(false);
    const r = await emulator(dir, "5999");
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toBe(
      "emulator: installing moto 5.2.5 into .venv, once (about a minute)\nemulator: moto on http://127.0.0.1:5999, logging every request to .run/emulator.log",
    );
    expect(readFileSync(join(dir, ".run/emulator.log"), "utf8")).toContain(" * Running on http://127.0.0.1:5999");
  });

  it.each(["http://localhost:5998/", "http://127.0.0.1:5998"])("serves where AWS_ENDPOINT_URL=%s points the other commands", async (url) => {
    const dir = repo(true);
    const r = await execa("bash", ["scripts/emulator.sh"], { cwd: dir, env: { PATH: `${join(dir, "fakebin")}:${process.env.PATH}`, AWS_ENDPOINT_URL: url }, extendEnv: false, reject: false, all: true });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toBe("emulator: moto on http://127.0.0.1:5998, logging every request to .run/emulator.log");
  });

  it("keeps moto's log on its output with LOG -, as make smoke keeps it in .smoke/", async () => {
    const dir = repo(true);
    const r = await emulator(dir, "5999", "-");
    expect(r.all).toContain('"POST / HTTP/1.1" 200');
    expect(text("scripts/smoke.sh")).toContain('./scripts/emulator.sh "$emulator_port" - >.smoke/emulator.log 2>&1 &');
  });
});
