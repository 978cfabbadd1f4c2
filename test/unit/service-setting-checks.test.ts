import { execa } from "execa";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { CONTRACT_LIMITS, distinctPortExamples, settingExamples } from "../../src/render/setting-rules.js";
import { listenPairs } from "../../src/render/settings-context.js";
import { QUEUE_COUNT_MAX, SYNTHETIC_COUNT_MAX, orchestratorSettings } from "../../src/render/settings.js";
import { WORKER_LIMITS, workerSettings } from "../../src/render/worker-settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { tempDir } from "../helpers/temp-dirs.js";
import { RUN_SCRIPTS, freeListeners, standInPath, standInRepo, writeExecutable } from "../helpers/run-script-repo.js";

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
  // make gen's contract limits, which the MAX_BODY_BYTES check reads.
  const limits = `${CONTRACT_LIMITS.dir}/${CONTRACT_LIMITS.file}`;
  if (tree.has(limits)) {
    mkdirSync(join(dir, CONTRACT_LIMITS.dir), { recursive: true });
    writeFileSync(join(dir, limits), tree.get(limits)!.content);
  }
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
      const r = await check(dir, "run", await freeListeners({ [name]: value }));
      expect(r.exitCode, `${name}=${value}: ${r.all}`).toBe(0);
    }
    expect(existsSync(join(dir, "started", "orchestrator"))).toBe(false);
  });
});

/**
 * MAX_BODY_BYTES past the contract's ceiling passed the scripts' check (only int64's bound), and
 * the orchestrator refused it after the build. The ceiling is make gen's (protoc-gen-limits, the
 * orchestrator's own sizing of scoring.proto, whose test holds the committed file to it): the
 * check reads it there, and without the file keeps the int64 bound, never a copy of the number.
 */
describe("http: MAX_BODY_BYTES is checked against the contract's ceiling that make gen wrote", () => {
  const path = `${CONTRACT_LIMITS.dir}/${CONTRACT_LIMITS.file}`;
  const limits = trees.http!.get(path)?.content.toString("utf8") ?? "";
  const ceiling = BigInt(/^MAX_BODY_BYTES=(\d+)$/m.exec(limits)?.[1] ?? "0");

  it("make gen's limits are in the http repo", () => expect(ceiling).toBeGreaterThan(0n));
  const want = `want a whole number of bytes from 1 to ${ceiling}, the largest request scoring.proto allows in JSON`;

  it.each([
    [`${ceiling + 1n}`, 2],
    [`${ceiling * 2n}`, 2],
    [`${ceiling}`, 0],
    [`0${ceiling}`, 0],
    [`${ceiling - 1n}`, 0],
  ])("MAX_BODY_BYTES=%s: exit %i", async (value, code) => {
    const r = await check(repo(trees.http!), "run", { MAX_BODY_BYTES: value });
    expect(r.exitCode, r.all).toBe(code);
    if (code) expect(r.all).toBe(`run: MAX_BODY_BYTES=${value}: ${want}`);
  });

  it("reads the ceiling from the file: another one there is the bound", async () => {
    const dir = repo(trees.http!);
    writeFileSync(join(dir, path), "MAX_BODY_BYTES=100\n");
    expect((await check(dir, "run", await freeListeners({ MAX_BODY_BYTES: "100" }))).exitCode).toBe(0);
    expect((await check(dir, "run", { MAX_BODY_BYTES: "101" })).all).toBe("run: MAX_BODY_BYTES=101: want a whole number of bytes from 1 to 100, the largest request scoring.proto allows in JSON");
  });
});

/**
 * WORKER_<NAME>_ADDR=unix:/// (or a path ending in /, . or .., or a directory) passed run.sh's
 * check, and the worker failed at bind: run.sh refuses the unix:// examples worker-kit's own
 * parser is tested on (its LISTEN_ADDR rule's), as run.sh places the worker there.
 */
describe("a worker's unix:// address is read by run.sh as the worker reads it", () => {
  const m = manifest("http");
  const w = workerContexts(m)[0]!;
  const { bad, good } = settingExamples(workerSettings(w, m).settings.find((s) => s.name === "LISTEN_ADDR")!);
  const unix = (values: string[]) => values.filter((v) => v.startsWith("unix:"));
  expect(unix(bad)).toContain("unix:///");

  it.each([...unix(bad).map((v) => [v, 2]), ...unix(good).map((v) => [v, 0])])("%s: exit %i", async (value, code) => {
    const r = await check(repo(trees.http!), "run", { [w.env]: value as string });
    expect(r.exitCode, r.all).toBe(code);
    if (code) expect(r.all).toMatch(new RegExp(`^run: ${w.env}=\\S+: want [^\n]+$`));
  });
});

/**
 * OPS_LISTEN_ADDR=:8080 beside LISTEN_ADDR=127.0.0.1:8080 (or a worker's METRICS_ADDR on its
 * gRPC port) passed every check and failed at the second bind, naming neither setting. run.sh
 * refuses the examples config.go and worker-kit are tested on, naming both, under the names
 * make run gives them.
 */
describe.each(presets)("%s: two listeners of one service on one port are refused naming both", (preset) => {
  const m = manifest(preset);
  const workers = workerContexts(m);
  const w = workers[0]!;
  const worker = (name: string) => (name === "LISTEN_ADDR" ? [w.env] : [name, w.envPrefix + name]);
  const pairs = [
    ...listenPairs(orchestratorSettings(m, workers).settings).map((pair) => ({ pair, names: (n: string) => [n] })),
    ...listenPairs(workerSettings(w, m).settings).map((pair) => ({ pair, names: worker })),
  ];
  const cases = pairs.flatMap(({ pair, names }) =>
    names(pair.first.name).flatMap((first) => names(pair.second.name).map((second) => [`${first} and ${second}`, pair, first, second] as const)),
  );
  if (preset === "http") expect(cases.map(([title]) => title)).toContain("LISTEN_ADDR and OPS_LISTEN_ADDR");

  it.each(cases)("%s", async (_, pair, first, second) => {
    const dir = repo(trees[preset]!);
    for (const { vars, ok } of distinctPortExamples(pair)) {
      const env = { [first]: vars[0]![1], [second]: vars[1]![1] };
      // A pair that may share no port is refused before any port is looked at, so its own defaults stay.
      const r = await check(dir, "run", ok ? await freeListeners(env) : env);
      expect(r.exitCode, `${JSON.stringify(env)}: ${r.all}`).toBe(ok ? 0 : 2);
      if (!ok) {
        expect(r.all.split("\n")).toHaveLength(1);
        expect(r.all).toContain(`(${first})`);
        expect(r.all).toContain(`(${second})`);
      }
    }
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

describe("the README says where the scripts read the body ceiling", () => {
  it("names the file make gen writes and the MAX_BODY_BYTES check reads", () => {
    const path = `${CONTRACT_LIMITS.dir}/${CONTRACT_LIMITS.file}`;
    expect(trees.http!.get("README.md")!.content.toString("utf8")).toContain(`\`make gen\` writes it to\n\`${path}\``);
    expect(trees.http!.has(path)).toBe(true);
  });
});
