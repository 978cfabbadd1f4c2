// Regenerates templates/go-orchestrator/go.mod.hbs and go.sum.hbs. Each Go
// dependency set (one per ingress, and per router for http) is resolved by
// `go mod tidy` from the pins below in a rendered project; the results are
// merged line by line, and lines that only some sets need are wrapped in
// `{{#if (goDeps ...)}}` blocks. Run after changing imports or pins.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Direct dependencies at the versions generated repos pin. */
const PINS = [
  "buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go v1.36.12-20260825204119-511051f7f437.1",
  "buf.build/go/protovalidate v1.4.0",
  "github.com/KimMachineGun/automemlimit v1.0.2",
  "github.com/aws/aws-sdk-go-v2 v1.47.7",
  "github.com/aws/aws-sdk-go-v2/config v1.33.15",
  "github.com/aws/aws-sdk-go-v2/service/dynamodb v1.73.1",
  "github.com/aws/aws-sdk-go-v2/service/kinesis v1.56.11",
  "github.com/aws/aws-sdk-go-v2/service/sqs v1.52.10",
  "github.com/go-chi/chi/v5 v5.5.0",
  "github.com/grpc-ecosystem/grpc-gateway/v2 v2.30.0",
  "github.com/planetscale/vtprotobuf v0.6.1-0.20240319094008-0393e58bdf10",
  "github.com/prometheus/client_golang v1.25.0",
  "go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws v0.72.0",
  "go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc v0.72.0",
  "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.72.0",
  "go.opentelemetry.io/otel v1.47.0",
  "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc v1.47.0",
  "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp v1.47.0",
  "go.opentelemetry.io/otel/sdk v1.47.0",
  "go.opentelemetry.io/otel/trace v1.47.0",
  "google.golang.org/grpc v1.85.0",
  "google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.6.2",
  "google.golang.org/protobuf v1.36.12",
];
// vtprotobuf at the version grpc-go itself requires (a tagged v0.6.0 would downgrade grpc).
const TOOLS = ["github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto", "google.golang.org/grpc/cmd/protoc-gen-go-grpc", "google.golang.org/protobuf/cmd/protoc-gen-go"];
/** buf.gen.yaml's grpc-gateway plugin, for the HTTP API's bench baseline (cmd/gateway) only. */
const HTTP_TOOLS = [...TOOLS, "github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway"].sort();

/** Dependency set → the flags that render a project needing it (see goDeps in src/render/handlebars.ts). */
const SETS = {
  "http-stdlib": ["--router", "stdlib"],
  "http-chi": ["--router", "chi"],
  sqs: ["--ingress", "sqs"],
  kinesis: ["--ingress", "kinesis"],
};
const toolsOf = (set) => (set.startsWith("http-") ? HTTP_TOOLS : TOOLS);

const work = mkdtempSync(join(tmpdir(), "chb-gomod-"));
const resolved = {};
try {
  for (const [set, flags] of Object.entries(SETS)) {
    const app = join(work, set);
    execFileSync("node", ["dist/cli.js", app, "--yes", "--no-validate", "--no-git", ...flags], { stdio: "ignore" });
    const dir = join(app, "orchestrator");
    const module = /^module (\S+)/m.exec(readFileSync(join(dir, "go.mod"), "utf8"))[1];
    writeFileSync(
      join(dir, "go.mod"),
      `module ${module}\n\ngo 1.26.0\n\nrequire (\n${PINS.map((p) => `\t${p}\n`).join("")})\n\ntool (\n${toolsOf(set).map((t) => `\t${t}\n`).join("")})\n`,
    );
    rmSync(join(dir, "go.sum"), { force: true });
    execFileSync("go", ["mod", "tidy"], { cwd: dir, stdio: "inherit" });
    const mod = readFileSync(join(dir, "go.mod"), "utf8");
    const blocks = [...mod.matchAll(/^require \(\n([\s\S]*?)^\)/gm)].map((m) => m[1].split("\n").filter(Boolean));
    if (blocks.length !== 2) throw new Error(`${set}: expected a direct and an indirect require block in:\n${mod}`);
    resolved[set] = {
      tool: toolsOf(set).map((t) => `\t${t}`),
      direct: blocks[0],
      indirect: blocks[1],
      sum: readFileSync(join(dir, "go.sum"), "utf8").split("\n").filter(Boolean),
    };
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const sets = Object.keys(SETS);
const section = (key) => conditional(mergeOrdered(sets.map((s) => resolved[s][key])), (line) => sets.filter((s) => resolved[s][key].includes(line)));

writeFileSync(
  "templates/go-orchestrator/go.mod.hbs",
  `module {{orchestrator.module}}\n\ngo {{toolchains.go}}.0\n\nrequire (\n${section("direct")})\n\nrequire (\n${section("indirect")})\n\ntool (\n${section("tool")})\n`,
);
writeFileSync("templates/go-orchestrator/go.sum.hbs", section("sum"));
console.log("updated templates/go-orchestrator/go.mod.hbs and go.sum.hbs");

/**
 * One sequence holding every line of every input in an order consistent with
 * each input (all come from the same sort, so one exists): a topological
 * sort over "a came right before b somewhere" edges.
 */
function mergeOrdered(lists) {
  const next = new Map();
  const indegree = new Map();
  for (const list of lists) {
    list.forEach((line, i) => {
      if (!indegree.has(line)) indegree.set(line, 0);
      if (i === 0) return;
      const prev = list[i - 1];
      const out = next.get(prev) ?? new Set();
      if (!out.has(line)) {
        out.add(line);
        next.set(prev, out);
        indegree.set(line, indegree.get(line) + 1);
      }
    });
  }
  const ready = [...indegree].filter(([, d]) => d === 0).map(([l]) => l).sort();
  const order = [];
  while (ready.length) {
    const line = ready.shift();
    order.push(line);
    for (const n of next.get(line) ?? []) {
      indegree.set(n, indegree.get(n) - 1);
      if (indegree.get(n) === 0) {
        ready.push(n);
        ready.sort();
      }
    }
  }
  if (order.length !== indegree.size) throw new Error("inputs disagree on line order");
  return order;
}

/** Lines, with runs needed by only some sets wrapped in one #if each. */
function conditional(lines, setsOf) {
  let out = "";
  let open = null;
  for (const line of lines) {
    const need = setsOf(line);
    const key = need.length === sets.length ? null : need.join(" ");
    if (key !== open) {
      if (open) out += "{{/if}}\n";
      if (key) out += `{{#if (goDeps ${need.map((s) => JSON.stringify(s)).join(" ")})}}\n`;
      open = key;
    }
    out += `${line}\n`;
  }
  if (open) out += "{{/if}}\n";
  return out;
}
