import { execa } from "execa";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { EMULATOR_PORT } from "../../src/render/compose.js";
import { render } from "../../src/render/index.js";
import { LIB_SCRIPTS } from "../helpers/run-script-repo.js";
import { tempDir } from "../helpers/temp-dirs.js";

const LIB = resolve("templates/root/scripts/lib.sh");
/** aws.sh as a queue preset renders it (its emulator address comes from compose.ts). */
const AWS = join(tempDir("chb-aws-sh-"), "aws.sh");
writeFileSync(AWS, render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress: "sqs" } })).get("scripts/aws.sh")!.content);

/**
 * A script's EXIT trap kills what it started. CI once failed because bash printed
 * "<pid> Killed  LISTEN_ADDR=... bin/orchestrator" into `make bench`'s output: the
 * trap's `{ kill -KILL ...; wait; } 2>/dev/null` ended before bash reported the
 * death, at the trap's next command. The script shape below (jobs started in a
 * function, a command after the kill) is the one that leaked, about half the time.
 */
function script(dir: string, cleanup: string): string {
  const path = join(dir, `cleanup-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(
    path,
    `. ${LIB}
start() { sleep 30 >/dev/null 2>&1 & a=$!; sleep 30 >/dev/null 2>&1 & b=$!; }
start
echo "$a $b"
sleep 0.02
trap 'status=$?; [ "$status" -ne 0 ] && echo "failed with $status" >&2
${cleanup}' EXIT
exit 3
`,
  );
  return path;
}

async function run(path: string) {
  const r = await execa("bash", [path], { reject: false });
  const pids = r.stdout.trim().split(" ").map(Number);
  return { ...r, pids };
}

describe("the scripts' files", () => {
  const dir = resolve("templates/root/scripts");

  // The project's limit: past it a script is split by what its parts do (ports.sh, durations.sh, supervise.sh).
  it.each(readdirSync(dir))("%s stays within 300 lines", (file) => {
    expect(readFileSync(join(dir, file), "utf8").trimEnd().split("\n").length).toBeLessThanOrEqual(300);
  });

  it("lib.sh sources exactly the files the tests copy beside it (LIB_SCRIPTS)", () => {
    const sourced = [...readFileSync(LIB, "utf8").matchAll(/^\. "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/([\w.-]+)"$/gm)].map((m) => `scripts/${m[1]}`);
    expect(["scripts/lib.sh", ...sourced].sort()).toEqual([...LIB_SCRIPTS].sort());
  });
});

describe("scripts/lib.sh kill_quietly", () => {
  it("kills and reaps every job, keeps the exit status and prints no job report", async () => {
    const dir = tempDir();
    const path = script(dir, `kill_quietly $a $b`);
    for (let i = 0; i < 40; i++) {
      const r = await run(path);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toBe("failed with 3");
      for (const pid of r.pids) expect(() => process.kill(pid, 0), `pid ${pid} still runs`).toThrow();
    }
  });

  it("is needed: a redirection around kill and wait lets bash report the death after it", async () => {
    const dir = tempDir();
    const path = script(dir, `{ kill -KILL $a $b; wait; } 2>/dev/null || true\nrm -f /nonexistent`);
    let leaked = "";
    for (let i = 0; i < 300 && !leaked; i++) {
      const r = await run(path);
      if (/Killed/.test(r.stderr)) leaked = r.stderr;
    }
    expect(leaked).toMatch(/Killed\s+sleep 30/);
  });
});

describe("scripts/lib.sh stop", () => {
  // A service that drains for 1.5 s after SIGTERM, then exits 0.
  const slow = `bash -c 'trap "sleep 1.5; exit 0" TERM; while :; do sleep 0.1; done' &\npid=$!\nsleep 0.3\n`;

  it("waits the grace it is given for a clean exit (lib.sh once waited a fixed 15 s, less than the orchestrator's 17)", async () => {
    const r = await execa("bash", ["-c", `. ${LIB}\n${slow}stop "$pid" slow 4 && echo stopped`], { reject: false });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("stopped");
  });

  it("kills a service still running when its grace ends, and says so", async () => {
    const r = await execa("bash", ["-c", `. ${LIB}\n${slow}stop "$pid" slow 1`], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("slow did not stop within 1s of SIGTERM");
  });
});

describe("scripts/lib.sh model_memory_figures", () => {
  /**
   * A repo whose `cargo` is a stand-in: it records its arguments and MODEL_MEMORY_OUT, writes
   * figures there or not, and exits with the status given. A stale file from an earlier run
   * sits where the figures go, so a run that writes none cannot pass for one that did.
   */
  async function figures(writes: boolean, status: number) {
    const dir = tempDir();
    mkdirSync(join(dir, "workers"));
    mkdirSync(join(dir, "bin"));
    writeFileSync(
      join(dir, "bin", "cargo"),
      `#!/usr/bin/env bash\necho "$PWD $* OUT=$MODEL_MEMORY_OUT" > ${dir}/args\n${writes ? `echo '{"files":[]}' > "$MODEL_MEMORY_OUT"\n` : ""}exit ${status}\n`,
      { mode: 0o755 },
    );
    const out = join(dir, "bench-model-memory.json");
    writeFileSync(out, "stale figures");
    // PATH is set inside the script: bash may read ~/.bashrc first (it does when stdin is a
    // socket, as Node's default pipes are), and one that prepends ~/.cargo/bin put the real cargo first.
    const r = await execa("bash", ["-c", `PATH=${join(dir, "bin")}:$PATH\n. ${LIB}\nmodel_memory_figures "$1"`, "-", out], {
      cwd: dir,
      stdin: "ignore",
      reject: false,
    });
    return { ...r, args: readFileSync(join(dir, "args"), "utf8").trim(), dir, out: existsSync(out) ? readFileSync(out, "utf8") : undefined };
  }

  it("runs the worker's test in workers/ with MODEL_MEMORY_OUT and succeeds quietly when it passes", async () => {
    const r = await figures(true, 0);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.args).toBe(
      `${join(r.dir, "workers")} test --release --locked --quiet -p worker-kit --test worker_kit_model_memory -- --exact on_linux::model_memory_is_linear_in_file_size OUT=${join(r.dir, "bench-model-memory.json")}`,
    );
    expect(r.out).toBe('{"files":[]}\n');
  });

  it("keeps the figures of a failed assertion, for the table to report as not met, and says so", async () => {
    const r = await figures(true, 101);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("bench: the model_memory test failed; the targets table reports the figures it wrote");
  });

  it("fails, naming the exit status, when the test wrote no figures, and leaves no stale ones behind", async () => {
    const r = await figures(false, 101);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("bench: the model_memory test wrote no figures (exit status 101, output above); the model load memory rows are left out");
    expect(r.out).toBeUndefined();
  });
});

describe("scripts/aws.sh aws_env", () => {
  /** AWS_* after aws_env, started from an environment without AWS settings plus env. */
  async function awsEnv(env: Record<string, string>) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
    const r = await execa("bash", ["-c", `. ${LIB}; . ${AWS}; aws_env test; env | grep '^AWS_' || true`], { env: { ...clean, ...env }, extendEnv: false });
    return Object.fromEntries(r.stdout.split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  }

  it("defaults to the local emulator, with its fake keys and a region", async () => {
    expect(await awsEnv({})).toEqual({ AWS_ENDPOINT_URL: `http://127.0.0.1:${EMULATOR_PORT}`, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
    expect(await awsEnv({ AWS_ENDPOINT_URL: "http://localhost:4566" })).toMatchObject({ AWS_ACCESS_KEY_ID: "test" });
  });

  it("never signs real AWS calls as test: no keys or region for AWS or a remote endpoint", async () => {
    expect(await awsEnv({ AWS_ENDPOINT_URL: "" })).toEqual({ AWS_ENDPOINT_URL: "" });
    expect(await awsEnv({ AWS_ENDPOINT_URL: "https://sqs.eu-west-1.amazonaws.com", AWS_PROFILE: "dev" })).toEqual({
      AWS_ENDPOINT_URL: "https://sqs.eu-west-1.amazonaws.com",
      AWS_PROFILE: "dev",
    });
  });

  it.each([
    ["localhost:5000", ", or empty for AWS itself"],
    ["http://127.0.0.1:99999", ", or empty for AWS itself"],
    ["http://127.0.0.1:5000 ", ", or empty for AWS itself"],
    ["ftp://127.0.0.1:5000", ", or empty for AWS itself"],
  ])("refuses AWS_ENDPOINT_URL=%j at once, in one line", async (value, tail) => {
    const r = await execa("bash", ["-c", `. ${LIB}; . ${AWS}; aws_env test; echo reached`], { env: { AWS_ENDPOINT_URL: value }, reject: false, all: true });
    expect(r.exitCode).toBe(2);
    expect(r.all).toBe(`test: AWS_ENDPOINT_URL=${value}: want an http:// or https:// URL, e.g. http://127.0.0.1:5000${tail}`);
  });

  it.each(["http://[::1]:4566/", "https://sqs.eu-west-1.amazonaws.com", "http://moto:5000/base"])("takes AWS_ENDPOINT_URL=%s", async (value) => {
    const r = await execa("bash", ["-c", `. ${LIB}; . ${AWS}; aws_env test; echo "$AWS_ENDPOINT_URL"`], { env: { AWS_ENDPOINT_URL: value }, reject: false, all: true });
    expect(r.all).toBe(value);
  });

  it("keeps keys already set, even for the emulator", async () => {
    expect(await awsEnv({ AWS_ACCESS_KEY_ID: "mine", AWS_SECRET_ACCESS_KEY: "s" })).toMatchObject({ AWS_ACCESS_KEY_ID: "mine", AWS_SECRET_ACCESS_KEY: "s" });
  });
});
