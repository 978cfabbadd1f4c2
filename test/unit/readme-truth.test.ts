import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render, type FileTree } from "../../src/render/index.js";
import { GRAFANA_PORT, JAEGER_UI_PORT, PROMETHEUS_PORT } from "../../src/render/observability.js";
import { OTLP_GRPC_PORT, OTLP_HTTP_PORT } from "../../src/render/otel-env.js";
import { OTEL_VARIABLES } from "../../src/render/otel-env.js";
import { ORCHESTRATOR_OPS_PORT, orchestratorSettings } from "../../src/render/settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { withLedger } from "../../src/sync/ledger.js";

/**
 * A README says only what the manifest produces. Every option combination
 * (ingress and its router or sink × docker × CI providers × one or two
 * workers) is rendered, and each README (the root one and every worker's) is
 * held to the rendered tree: every path it names exists, every make target it
 * names is in the Makefile, nothing absent (Docker, compose, a CI provider, a
 * queue, DynamoDB) is mentioned, and every port it names is a default the
 * config really has.
 */
const presets = [
  { ingress: "http", router: "stdlib" },
  { ingress: "http", router: "chi" },
  { ingress: "sqs", sink: "dynamodb" },
  { ingress: "sqs", sink: "none" },
  { ingress: "kinesis", sink: "dynamodb" },
  { ingress: "kinesis", sink: "none" },
] as const;
const ciChoices: ("github" | "gitlab")[][] = [[], ["github"], ["gitlab"], ["github", "gitlab"]];
const combos = presets.flatMap((orchestrator) =>
  [true, false].flatMap((docker) =>
    ciChoices.flatMap((providers) => [["scorer"], ["scorer", "pricing"]].map((workers) => ({ orchestrator, docker, providers, workers }))),
  ),
);

/** The compose observability stack's published ports (Jaeger's UI, Prometheus, Grafana, the collector's OTLP). */
const stackPorts = [JAEGER_UI_PORT, PROMETHEUS_PORT, GRAFANA_PORT, OTLP_GRPC_PORT, OTLP_HTTP_PORT];

/** What the generated commands create: named by the READMEs, never in the rendered tree. */
const OUTPUTS = [/^bin\//, /^bench\//, /^\.venv$/, /^\.smoke\/?$/, /^workers\/target\//, /^(results\.json|summary\.txt|latency\.svg)$/];

function manifestFor(c: (typeof combos)[number]): Manifest {
  return parseManifest({
    name: "risk-api",
    orchestrator: { module: "example.com/risk-api/orchestrator", ...c.orchestrator },
    docker: c.docker,
    ci: { providers: c.providers },
    workers: c.workers.map((name) => ({ name })),
  });
}

/** Inline code spans and fenced blocks: where a README names paths, commands and addresses. */
function codeOf(md: string): { spans: string[]; blocks: string[] } {
  const blocks = [...md.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const prose = md.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
  const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
  return { spans, blocks };
}

/** Spans that name a file or folder of the repo (not a Go package, an HTTP route or a file extension). */
function pathsIn(spans: string[], module: string, registry: string): string[] {
  return spans.filter(
    (s) =>
      !/[\s:=,*<>$]/.test(s) &&
      !/^[/.-]/.test(s.replace(/^\.\.\//, "").replace(/^\.(venv|smoke)$/, "x")) &&
      !(s === module || s === "net/http" || s.startsWith(registry)) &&
      // Names with a slash that are not paths: an OTLP protocol, scrape annotation keys, gRPC span names, git refs.
      !/^(http\/protobuf|prometheus\.io\/[a-z]+|[a-z0-9.]+\.[A-Za-z]+Service\/[A-Za-z]+|refs\/[a-z-]+\/[a-z-]+)$/.test(s) &&
      (s.includes("/") || /\.(proto|json|ya?ml|rs|go|sh|toml|svg|txt|md)$/.test(s) || /^(Makefile|Dockerfile|\.venv|\.smoke)$/.test(s)),
  );
}

function makeTargets(makefile: string): Set<string> {
  return new Set([...makefile.matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]!));
}

/** `make a b N=1` → a, b: every target a command in the README runs. */
function targetsNamed(code: string[]): string[] {
  const out: string[] = [];
  for (const text of code) {
    // A variable's quoted value (make sync HYBRID_BACKEND='node CHECKOUT/dist/cli.js') is one word, and no target.
    const unquoted = text.replace(/\b([A-Z][A-Z0-9_]*)=(?:'[^'\n]*'|"[^"\n]*")/g, "$1=");
    for (const m of unquoted.matchAll(/(?:^|[\s;&|(])make((?:[ \t]+[^\s#;&|)]+)+)/gm)) {
      out.push(...m[1]!.trim().split(/\s+/).filter((w) => !w.includes("=") && !w.startsWith("-")));
    }
  }
  return out;
}

describe.each(combos)("README of $orchestrator.ingress $orchestrator.router$orchestrator.sink docker=$docker ci=$providers workers=$workers", (c) => {
  const m = manifestFor(c);
  const tree: FileTree = withLedger(render(m), m);
  const workers = workerContexts(m);
  const readmes = ["README.md", ...workers.map((w) => `workers/${w.name}/README.md`)];
  const text = (path: string) => tree.get(path)!.content.toString("utf8");
  const exists = (path: string) => tree.has(path) || [...tree.keys()].some((p) => p.startsWith(`${path.replace(/\/$/, "")}/`));

  it.each(readmes)("%s names only paths the repo has (or its commands create)", (readme) => {
    const dir = posix.dirname(readme);
    const missing: string[] = [];
    for (const raw of pathsIn(codeOf(text(readme)).spans, m.orchestrator.module, m.ci.registry)) {
      const variants = raw.includes("NAME") ? workers.map((w) => raw.replaceAll("NAME", w.name)) : [raw];
      for (const p of variants) {
        const rel = posix.normalize(posix.join(dir, p));
        if (!exists(rel) && !OUTPUTS.some((re) => re.test(rel) || re.test(p))) missing.push(p);
      }
    }
    expect(missing).toEqual([]);
  });

  it("README.md's command table has a row for every make target with a help line", () => {
    const helped = [...text("Makefile").matchAll(/^([a-z][a-z-]*):[^\n]*##/gm)].map((t) => t[1]!);
    const rows = new Set([...text("README.md").matchAll(/^\| `make ([a-z][a-z-]*)` \|/gm)].map((r) => r[1]!));
    expect(helped.length).toBeGreaterThan(5);
    expect(helped.filter((t) => !rows.has(t))).toEqual([]);
  });

  it.each(readmes)("%s names only make targets the Makefile has", (readme) => {
    const { spans, blocks } = codeOf(text(readme));
    const targets = makeTargets(text("Makefile"));
    const named = targetsNamed([...spans, ...blocks]);
    expect(named.length).toBeGreaterThan(readme === "README.md" ? 5 : -1);
    expect(named.filter((t) => !targets.has(t))).toEqual([]);
  });

  it.each([...readmes, "Makefile", ...(c.docker ? ["docker-compose.yml"] : [])])("%s mentions nothing the manifest left out", (path) => {
    const body = text(path);
    const absent: [boolean, RegExp][] = [
      [!m.docker, /docker|compose|container/i],
      // GitLab runs its jobs in (digest-pinned) images even without Docker files.
      [!m.docker && !c.providers.includes("gitlab"), /image/i],
      // github.com/... is a Go module path (buf, grpcurl), not GitHub CI.
      [!c.providers.includes("github"), /github(?!\.com\/)|ghcr|actions\b/i],
      [!c.providers.includes("gitlab"), /gitlab/i],
      [c.providers.length === 0, /CI (runs|files|job)|pull request|merge request/],
      [m.orchestrator.ingress !== "sqs", /\bSQS\b|DLQ/i],
      // Kinesis keeps records it cannot handle in a dead-letter table; http has nothing to dead-letter.
      [m.orchestrator.ingress === "http", /dead-letter/i],
      [m.orchestrator.ingress !== "kinesis", /kinesis|shard/i],
      [m.orchestrator.ingress === "http", /moto|emulator|AWS_/],
      // Kinesis keeps its checkpoints in DynamoDB whatever the sink.
      [m.orchestrator.sink !== "dynamodb", m.orchestrator.ingress === "kinesis" ? /results table|DYNAMODB_TABLE/ : /dynamodb|results table/i],
    ];
    const found = absent.filter(([off]) => off).map(([, re]) => body.match(re)?.[0]).filter(Boolean);
    expect(found).toEqual([]);
  });

  it.each(readmes)("%s names only ports the config defaults to", (readme) => {
    const ports = [...text(readme).matchAll(/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\]|\b[a-z]+):(\d{2,5})\b/g)].map((p) => Number(p[1]));
    const listen = orchestratorSettings(m, workers).settings.find((s) => s.name === "LISTEN_ADDR")!.default;
    const worker = workers.find((w) => readme === `workers/${w.name}/README.md`);
    // A worker's README is about that worker: its port, nothing else. The root one also names the
    // orchestrator's port and the emulator's (scripts/aws.sh's default AWS_ENDPOINT_URL).
    const emulator = m.orchestrator.ingress === "http" ? undefined : /^LOCAL_AWS_ENDPOINT=http:\/\/127\.0\.0\.1:(\d+)$/m.exec(text("scripts/aws.sh"))![1];
    const allowed = worker
      ? [worker.port, worker.metricsPort]
      : [
          Number(listen.split(":").at(-1)),
          ...workers.map((w) => w.port),
          ...(emulator ? [Number(emulator)] : []),
          ...(m.docker ? stackPorts : []),
          // The cluster's collector, and the HTTP API's ops port there (OPS_LISTEN_ADDR in its ConfigMap).
          ...(m.deploy.includes("kubernetes") ? [OTLP_GRPC_PORT, ...(m.orchestrator.ingress === "http" ? [ORCHESTRATOR_OPS_PORT] : [])] : []),
        ];
    expect(ports.length).toBeGreaterThan(0);
    expect(ports.filter((p) => !allowed.includes(p))).toEqual([]);
  });
});

describe("the settings table", () => {
  it("documents each orchestrator default in the README exactly as config.go declares it", () => {
    for (const c of [combos[0]!, combos.find((x) => x.orchestrator.ingress === "kinesis" && x.workers.length === 2)!]) {
      const m = manifestFor(c);
      const tree = render(m);
      const readme = tree.get("README.md")!.content.toString("utf8");
      const config = tree.get("orchestrator/internal/config/config.go")!.content.toString("utf8");
      const declared = [...config.matchAll(/^\t\{"([A-Z0-9_]+)", "([^"]*)"\},$/gm)].map((x) => [x[1], x[2]]);
      // The OpenTelemetry SDK's variables share the table, not config.go (OTEL_VARIABLES).
      const documented = [...readme.matchAll(/^\| orchestrator \| `([A-Z0-9_]+)` \| `([^`]*)` \|/gm)]
        .map((x) => [x[1], x[2]])
        .filter(([name]) => !OTEL_VARIABLES.some((v) => v.name === name));
      // Retired names share the row shape; defaults computed at start are documented in words.
      const retired = orchestratorSettings(m, workerContexts(m)).retired.map((r) => r.name);
      expect(documented).toEqual(declared.filter(([name, def]) => def !== "" && !retired.includes(name!)));
    }
  });
});

describe("the HTTP API's error table", () => {
  it("states the body pace and each Retry-After as the Go constants declare them", () => {
    const tree = render(manifestFor(combos[0]!));
    const file = (path: string) => tree.get(path)!.content.toString("utf8");
    const readme = file("README.md");
    const pace = file("orchestrator/internal/httpapi/pace.go");
    const respond = file("orchestrator/internal/httpapi/respond.go");
    const shift = /^const MinBodyBytesPerSecond = (\d+) << (\d+)$/m.exec(pace)!;
    const mib = (Number(shift[1]) * 2 ** Number(shift[2])) / 2 ** 20;
    const allowance = /^const BodyReadAllowance = (\d+) \* time\.Second$/m.exec(pace)![1];
    const seconds = (name: string) => new RegExp(`^const ${name} = (\\d+)$`, "m").exec(respond)![1];
    expect(readme).toContain(`${allowance} s plus its length at ${mib} MiB/s`);
    expect(readme).toMatch(new RegExp(`429 with \`Retry-After: ${seconds("ShedRetryAfterSeconds")}\``));
    expect(readme).toMatch(new RegExp(`503 with \`Retry-After: ${seconds("UnavailableRetryAfterSeconds")}\``));
  });

  // A client reads the table to handle each answer: every status and code the handlers write is
  // a row, and no row names one they never write (404 and 405 were once missing).
  it("has one row per status and code the orchestrator's handlers write, and no other", () => {
    const STATUS: Record<string, number> = {
      StatusBadRequest: 400,
      StatusNotFound: 404,
      StatusMethodNotAllowed: 405,
      StatusRequestTimeout: 408,
      StatusRequestEntityTooLarge: 413,
      StatusUnsupportedMediaType: 415,
      StatusTooManyRequests: 429,
      StatusInternalServerError: 500,
      StatusBadGateway: 502,
      StatusServiceUnavailable: 503,
      StatusGatewayTimeout: 504,
    };
    for (const router of ["stdlib", "chi"] as const) {
      const tree = render(manifestFor({ ...combos[0]!, orchestrator: { ingress: "http", router } }));
      const readme = tree.get("README.md")!.content.toString("utf8");
      const written = new Set<string>();
      for (const [path, file] of tree) {
        if (!path.startsWith("orchestrator/internal/") || !path.endsWith(".go") || path.endsWith("_test.go")) continue;
        for (const [, status, code] of file.content.toString("utf8").matchAll(/write(?:Error|Retryable|BodyError)\(w, (\w+(?:\.\w+)?), "([a-z_]+)"/g)) {
          // 499 answers a client that has already gone: nobody reads it but the access log.
          if (status === "statusClientClosedRequest") continue;
          const number = STATUS[status!.replace(/^http\./, "")];
          expect(number, `${path}: ${status} needs a number in this test`).toBeDefined();
          written.add(`${number} ${code}`);
        }
      }
      const rows = [...readme.matchAll(/^\| (\d{3})(?: with `Retry-After: \d+`)? \| `([a-z_]+)` \|/gm)].map(([, status, code]) => `${status} ${code}`);
      expect(written.size).toBeGreaterThan(5);
      expect(rows.sort(), router).toEqual([...written].sort());
    }
  });
});

/**
 * A block that starts services in the background stops them before what they
 * depend on: the emulator (`make emulator &`) is killed only once every other
 * job of the block has been waited for, so the orchestrator's drain (lease
 * releases, checkpoints, deletes) still reaches it. `kill %2 %1; wait` once
 * stopped moto with the orchestrator, whose lease release then failed.
 */
function stopOrderFaults(block: string): string[] {
  const lines = block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim());
  const jobs: string[] = []; // jobs[n - 1]: the command of job %n
  const waited = new Set<number>();
  const faults: string[] = [];
  for (const line of lines) {
    if (/&$/.test(line) && !/&&$/.test(line)) jobs.push(line.replace(/\s*&$/, ""));
    for (const part of line.split(";").map((p) => p.trim())) {
      const kill = /^kill ((?:%\d+\s*)+)$/.exec(part);
      if (kill) {
        const killed = [...kill[1]!.matchAll(/%(\d+)/g)].map((k) => Number(k[1]));
        for (const n of killed) {
          if (!/make emulator/.test(jobs[n - 1] ?? "")) continue;
          const running = jobs.map((_, i) => i + 1).filter((j) => j !== n && !waited.has(j));
          if (running.length > 0) faults.push(`${part}: stops the emulator (%${n}) while ${running.map((j) => `%${j} (${jobs[j - 1]})`).join(", ")} may still run`);
        }
      }
      const wait = /^wait((?:\s+%\d+)*)(?:\s*\|\|\s*:)?$/.exec(part);
      if (wait) {
        const which = [...wait[1]!.matchAll(/%(\d+)/g)].map((w) => Number(w[1]));
        for (const j of which.length > 0 ? which : jobs.map((_, i) => i + 1)) waited.add(j);
      }
    }
  }
  return faults;
}

describe("README stop order", () => {
  it("catches the fault it is for", () => {
    expect(stopOrderFaults("make emulator &\nmake run &\nkill %2 %1; wait\n")).toHaveLength(1);
    expect(stopOrderFaults("make emulator &\nmake run &\nkill %2; wait %2 || :\nkill %1; wait\n")).toEqual([]);
  });

  it.each(presets)("stops every service before the emulator: $ingress $sink", (orchestrator) => {
    const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator }, workers: [{ name: "scorer" }] });
    const tree = render(m);
    const readmes = [...tree.keys()].filter((p) => p.endsWith("README.md"));
    const blocks = readmes.flatMap((p) => codeOf(tree.get(p)!.content.toString("utf8")).blocks);
    const withJobs = blocks.filter((b) => /&\s*(#.*)?$/m.test(b));
    expect(withJobs.length).toBeGreaterThan(0);
    for (const b of withJobs) expect(stopOrderFaults(b), b).toEqual([]);
    if (orchestrator.ingress !== "http") expect(blocks.some((b) => b.includes("make emulator &"))).toBe(true);
  });
});

describe("the Deploy section and the compose file name only what is rendered", () => {
  const transports = [["tcp"], ["uds"], ["uds", "tcp"]] as const;
  const cases = presets.flatMap((orchestrator) => transports.map((t) => ({ orchestrator, transports: t })));

  it.each(cases)("$orchestrator.ingress/$orchestrator.sink, workers $transports", ({ orchestrator, transports: t }) => {
    const m = parseManifest({
      name: "risk-api",
      orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator },
      workers: t.map((transport, i) => ({ name: ["scorer", "pricing"][i]!, transport })),
    });
    const tree = render(m);
    const read = (path: string) => tree.get(path)?.content.toString("utf8") ?? "";
    const deploy = /^## Deploy\n[\s\S]*?(?=^## )/m.exec(read("README.md"))![0];
    const hpas = [...tree.keys()].filter((p) => p.startsWith("deploy/") && /^kind: HorizontalPodAutoscaler$/m.test(read(p)));
    const kustomized = [...tree.keys()].filter((p) => p.startsWith("deploy/") && /^kind: ScaledObject$/m.test(read(p)));
    expect(/HorizontalPodAutoscaler|metrics-server/.test(deploy), "HPAs in README vs manifests").toBe(hpas.length > 0);
    expect(/ScaledObject|KEDA/.test(deploy)).toBe(kustomized.length > 0);
    for (const path of hpas) {
      const target = /scaleTargetRef:\n(?:\s+.*\n)*?\s+name: (\S+)/.exec(read(path))![1]!;
      expect(deploy).toContain(`\`${target}\``);
    }
    // The bootstrap comment lists tables only if bootstrap creates some.
    const compose = read("docker-compose.yml");
    if (orchestrator.ingress !== "http") {
      const bootstrap = [...tree.keys()].filter((p) => p.startsWith("orchestrator/") && !p.endsWith("_test.go") && p.endsWith(".go")).map(read).join("\n");
      const creates = /# Creates the ([^\n]*) once/.exec(compose)![1]!;
      expect(/table/.test(creates), creates).toBe(/\.CreateTable\(/.test(bootstrap)); // a call, not a mention in a comment
    }
  });
});

describe("the README's npx commands", () => {
  // npx finds only a release on the npm registry: one run from a checkout or a
  // tarball (every release before it is published) answers E404 there, and the
  // README must say how to run the same commands then.
  it.each(presets)("name another way to run them when the registry lacks the release ($ingress)", (orchestrator) => {
    const m = parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ...orchestrator } });
    const readme = render(m).get("README.md")!.content.toString("utf8");
    expect(readme).toContain(`npx --yes create-hybrid-backend@${m.generator.version} sync`);
    expect(readme).toContain("E404");
    // generator-commands.test.ts runs both with the rendered Makefile.
    expect(readme).toContain("`make sync HYBRID_BACKEND='node CHECKOUT/dist/cli.js'`");
    expect(readme).toContain(`\`make sync HYBRID_BACKEND='npx --yes -p /path/to/create-hybrid-backend-${m.generator.version}.tgz hybrid-backend'\``);
  });
});
