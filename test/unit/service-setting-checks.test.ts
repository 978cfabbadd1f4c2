import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { settingExamples } from "../../src/render/setting-rules.js";
import { QUEUE_COUNT_MAX, SYNTHETIC_COUNT_MAX, orchestratorSettings } from "../../src/render/settings.js";
import { WORKER_LIMITS, workerSettings } from "../../src/render/worker-settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { tempDir } from "../helpers/temp-dirs.js";
import { RUN_SCRIPTS, standInPath, standInRepo, writeExecutable } from "../helpers/run-script-repo.js";

/**
 * A new user's `make run WORKER_SCORER_CPU_BUDGET=abc` (or MAX_IN_FLIGHT=abc,
 * REQUEST_TIMEOUT=abc, LOG_LEVEL=loud) passed `--check`, built for minutes,
 * then the service refused the value. Every setting the services parse carries
 * its rule in the settings tables, and the scripts check each set value
 * against it, under its plain and per-service names, before the build.
 */
const manifest = (ingress: string) => parseManifest({ name: "chk-app", orchestrator: { module: "example.com/chk-app/orchestrator", ingress } });
const presets = ["http", "sqs", "kinesis"] as const;
const trees = Object.fromEntries(presets.map((p) => [p, render(manifest(p))]));
type Tree = (typeof trees)[string];

function repo(tree: Tree): string {
  const scripts = [...RUN_SCRIPTS, "scripts/smoke.sh", "scripts/bench.sh", "scripts/pinning.sh", "scripts/wait-ready.sh", "scripts/aws.sh", "Makefile"];
  const dir = standInRepo("chb-svc-", {
    scripts: Object.fromEntries(scripts.filter((p) => tree.has(p)).map((p) => [p, tree.get(p)!.content])),
    orchestrator: "touch started/orchestrator",
    workers: { scorer: "touch started/scorer" },
  });
  mkdirSync(join(dir, "started"));
  for (const s of readdirSync(join(dir, "scripts"))) chmodSync(join(dir, "scripts", s), 0o755);
  const record = (tool: string) => `echo "${tool} $*" >> "${join(dir, "started", "toolchain")}"\nexit 1`;
  writeExecutable(dir, "fakebin/go", record("go"));
  writeExecutable(dir, "fakebin/cargo", record("cargo"));
  return dir;
}

const check = (dir: string, script: string, env: Record<string, string>) =>
  execa("bash", [`scripts/${script}.sh`, "--check"], { cwd: dir, env: { PATH: standInPath(dir), ...env }, extendEnv: false, reject: false, all: true, timeout: 20_000 });

/** A worker setting's names under make run: a placed one (LISTEN_ADDR, from WORKER_<NAME>_ADDR) has none, an own one only its per-service name. */
const runNames = (s: { name: string; run: string }, prefix: string) => (s.run === "placed" ? [] : s.run === "own" ? [prefix + s.name] : [s.name, prefix + s.name]);

describe.each(presets)("%s: each service's settings are checked by the rule of its table", (preset) => {
  const m = manifest(preset);
  const workers = workerContexts(m);
  const rows = [
    ...orchestratorSettings(m, workers).settings.map((s) => ({ names: [s.name], s })),
    ...workerSettings(workers[0]!, m).settings.map((s) => ({ names: runNames(s, workers[0]!.envPrefix), s })),
  ];
  const cases = rows.flatMap(({ names, s }) => names.map((name) => [name, s] as const));

  it.each(cases)("%s", async (name, s) => {
    const dir = repo(trees[preset]!);
    const { bad, good } = settingExamples(s);
    for (const value of bad) {
      const r = await check(dir, "run", { [name]: value });
      expect(r.exitCode, `${name}=${value}: ${r.all}`).toBe(2);
      expect(r.all).toMatch(new RegExp(`^run: ${name}=.*: want [^\\n]+$`));
    }
    for (const value of good) {
      const r = await check(dir, "run", { [name]: value });
      expect(r.exitCode, `${name}=${value}: ${r.all}`).toBe(0);
    }
    expect(existsSync(join(dir, "started", "orchestrator"))).toBe(false);
  });
});

describe("the values the new user set are refused by make run, smoke and bench before the build", () => {
  const make = (dir: string, args: string[]) =>
    execa("make", ["--no-print-directory", "-s", ...args], { cwd: dir, env: { PATH: standInPath(dir) }, extendEnv: false, stdin: "ignore", reject: false, all: true, timeout: 20_000 });

  it.each([
    ["sqs", ["run", "WORKER_SCORER_CPU_BUDGET=abc"], `run: WORKER_SCORER_CPU_BUDGET=abc: want whole CPUs from 1 to ${WORKER_LIMITS.cpuBudget}`],
    ["sqs", ["smoke", "WORKER_SCORER_MAX_IN_FLIGHT=-1"], `smoke: WORKER_SCORER_MAX_IN_FLIGHT=-1: want a whole number from 1 to ${WORKER_LIMITS.maxInFlight}`],
    ["http", ["bench", "MAX_IN_FLIGHT=abc"], `bench: MAX_IN_FLIGHT=abc: want a whole number from 1 to ${WORKER_LIMITS.maxInFlight}`],
    ["http", ["run", "REQUEST_TIMEOUT=abc"], "run: REQUEST_TIMEOUT=abc: want a positive Go duration such as 2s or 500ms"],
    ["http", ["smoke", "LOG_LEVEL=loud"], "smoke: LOG_LEVEL=loud: want debug, info, warn or error"],
    ["http", ["bench", "COALESCE=yes"], "bench: COALESCE=yes: want on or off"],
    ["sqs", ["run", "CONCURRENCY=0"], `run: CONCURRENCY=0: want a whole number from 1 to ${QUEUE_COUNT_MAX}`],
    ["sqs", ["run", "SQS_VISIBILITY_TIMEOUT=1500ms"], "run: SQS_VISIBILITY_TIMEOUT=1500ms: want whole seconds from 1s to 12h, e.g. 30s"],
    ["kinesis", ["run", "LEASE_DURATION=500ms"], "run: LEASE_DURATION=500ms: want a Go duration of at least 1s, e.g. 10s"],
    ["kinesis", ["bench", "KEEPALIVE_INTERVAL_SECS=0"], "bench: KEEPALIVE_INTERVAL_SECS=0: want whole seconds from 1 to 3600"],
    // Names an emulator takes and AWS refuses, and counts past what produce holds in memory (or Go's int).
    ["kinesis", ["run", "KINESIS_STREAM_NAME=bad name!"], "run: KINESIS_STREAM_NAME=bad name!: want 1 to 128 letters, digits, -, _ and ."],
    ["kinesis", ["smoke", "LEASE_TABLE=ab"], "smoke: LEASE_TABLE=ab: want 3 to 255 letters, digits, -, _ and ."],
    ["sqs", ["run", "DYNAMODB_TABLE=a b"], "run: DYNAMODB_TABLE=a b: want 3 to 255 letters, digits, -, _ and ."],
    ["sqs", ["produce", "N=99999999999999999999"], `produce: N=99999999999999999999: want a whole number of requests, 1 to ${SYNTHETIC_COUNT_MAX}`],
    ["kinesis", ["wait-ready", `PROCESSED=${SYNTHETIC_COUNT_MAX + 1}`], `wait-ready: PROCESSED=${SYNTHETIC_COUNT_MAX + 1}: want a whole number of requests, 1 to ${SYNTHETIC_COUNT_MAX}`],
  ])("%s: make %j", async (preset, args, line) => {
    const dir = repo(trees[preset]!);
    const r = await make(dir, args);
    expect(r.exitCode, r.all).not.toBe(0);
    expect(r.all.split("\n")[0]).toBe(line);
    expect(existsSync(join(dir, "started", "toolchain"))).toBe(false);
  });
});

describe("the scripts' bounds are the services' own", () => {
  const kit = readFileSync("templates/worker-kit/src/config/mod.rs.hbs", "utf8") + readFileSync("templates/worker-kit/src/config/listen.rs", "utf8");
  const rustConst = (name: string) => Number(kit.match(new RegExp(`pub const ${name}: \\w+ = ([0-9_]+);`))![1]!.replace(/_/g, ""));

  it("worker-kit's limits are WORKER_LIMITS", () => {
    expect({ cpuBudget: rustConst("CPU_BUDGET_LIMIT"), maxInFlight: rustConst("MAX_IN_FLIGHT_LIMIT"), keepaliveSecs: rustConst("KEEPALIVE_LIMIT_SECS") }).toEqual(WORKER_LIMITS);
  });

  it("config.go's queue counts end at QUEUE_COUNT_MAX", () => {
    expect(readFileSync("templates/go-orchestrator/internal/config/parse_queue.go", "utf8")).toContain(`n > ${QUEUE_COUNT_MAX}`);
  });
});

/**
 * The orchestrator's own parser (config.Load, rendered for a queue preset, whose
 * config package needs only the standard library) takes and refuses the same
 * examples as the scripts' rules: a rule narrower or wider than the parser is a
 * fault either way.
 */
describe.each(["sqs", "kinesis"] as const)("%s: config.go agrees with the scripts' rules", (preset) => {
  it("on every example", async () => {
    const m = manifest(preset);
    const tree = trees[preset]!;
    const cases = orchestratorSettings(m, workerContexts(m)).settings.flatMap((s) => {
      const { bad, good } = settingExamples(s);
      return [...bad.map((v) => [s.name, v, "refused"]), ...good.map((v) => [s.name, v, "ok"])];
    });
    const dir = tempDir("chb-svc-go-");
    mkdirSync(join(dir, "internal", "config"), { recursive: true });
    for (const path of tree.keys()) {
      const file = path.replace("orchestrator/internal/config/", "");
      if (path.startsWith("orchestrator/internal/config/") && !file.includes("/") && file.endsWith(".go") && !file.endsWith("_test.go")) {
        writeFileSync(join(dir, "internal", "config", file), tree.get(path)!.content);
      }
    }
    writeFileSync(join(dir, "go.mod"), "module example.com/chk-app/orchestrator\n\ngo 1.22\n");
    writeFileSync(
      join(dir, "main.go"),
      `package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"example.com/chk-app/orchestrator/internal/config"
)

func main() {
	var cases [][2]string
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	for _, c := range cases {
		_, err := config.Load([]string{c[0] + "=" + c[1]})
		if err != nil && strings.Contains(err.Error(), c[0]+"=") {
			fmt.Println("refused")
		} else {
			fmt.Println("ok")
		}
	}
}
`,
    );
    const r = await execa("go", ["run", "."], { cwd: dir, input: JSON.stringify(cases.map(([n, v]) => [n, v])), env: { GOFLAGS: "-mod=mod", GOTOOLCHAIN: "local" }, reject: false, all: true, timeout: 120_000 });
    expect(r.exitCode, r.all).toBe(0);
    const answers = r.stdout.split("\n");
    expect(cases.map(([n, v], i) => `${n}=${v}: ${answers[i]}`)).toEqual(cases.map(([n, v, want]) => `${n}=${v}: ${want}`));
  }, 180_000);
});
