import { describe, expect, it } from "vitest";
import { parseManifest, type Manifest, type ManifestInput } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

function manifest(overrides: Partial<ManifestInput> & { router?: "stdlib" | "chi"; module?: string } = {}): Manifest {
  const { router = "stdlib", module = "example.com/risk-api/orchestrator", ...rest } = overrides;
  return parseManifest({ name: "risk-api", orchestrator: { module, router }, ...rest });
}

const text = (tree: ReturnType<typeof render>, path: string) => tree.get(path)!.content.toString("utf8");

describe("render", () => {
  const full = render(manifest());

  it("lays out the repo of DESIGN.md §5", () => {
    for (const path of [
      "hybrid-backend.json",
      "README.md",
      "Makefile",
      "docker-compose.yml",
      ".gitignore",
      ".dockerignore",
      ".editorconfig",
      "buf.yaml",
      "buf.gen.yaml",
      "proto/scoring/v1/scoring.proto",
      "testdata/vectors.json",
      "orchestrator/go.mod",
      "orchestrator/go.sum",
      "orchestrator/Dockerfile",
      "orchestrator/cmd/orchestrator/main.go",
      "orchestrator/gen/go/scoring/v1/scoring.pb.go",
      "orchestrator/gen/go/scoring/v1/scoring_grpc.pb.go",
      "orchestrator/gen/go/scoring/v1/scoring_vtproto.pb.go",
      "orchestrator/internal/workerclient/codec.go",
      "workers/Cargo.toml",
      "workers/Cargo.lock",
      "workers/scorer/Cargo.toml",
      "workers/scorer/Dockerfile",
      "workers/scorer/build.rs",
      "workers/scorer/src/main.rs",
      "workers/scorer/src/lib.rs",
      ".github/workflows/ci.yml",
    ]) {
      expect(full.has(path), path).toBe(true);
    }
  });

  it("leaves no template suffix or unrendered placeholder behind", () => {
    for (const [path, entry] of full) {
      expect(path).not.toMatch(/\.hbs$|(^|\/)dot-/);
      // A Handlebars expression ({{name}}, {{#if x}}, {{/if}}) left in the output; GitHub's
      // `${{ }}`, code such as Rust's `{{"value":0}}` and Grafana's legend labels (`{{worker}}`) are legitimate.
      const stray = entry.content
        .toString("utf8")
        .replace(/\$\{\{[^}]*\}\}/g, "")
        .replace(/"legendFormat": "[^"]*"/g, "")
        .match(/\{\{\s*[#/^]?[A-Za-z_][\w.]*(\s[^}]*)?\}\}/);
      expect(stray?.[0], path).toBeUndefined();
    }
  });

  it("records the manifest it rendered", () => {
    const m = manifest({ router: "chi" });
    expect(JSON.parse(text(render(m), "hybrid-backend.json"))).toEqual(m);
  });

  it("puts the module path everywhere Go imports it, and nowhere else hard-coded", () => {
    const tree = render(manifest({ module: "git.example.org/team/risk/orchestrator" }));
    expect(text(tree, "orchestrator/go.mod")).toMatch(/^module git\.example\.org\/team\/risk\/orchestrator$/m);
    expect(text(tree, "orchestrator/cmd/orchestrator/main.go")).toContain('"git.example.org/team/risk/orchestrator/');
    expect(text(tree, "buf.gen.yaml")).toContain("=git.example.org/team/risk/orchestrator/gen/go/scoring/v1;scoringv1");
    for (const [path, entry] of tree) expect(entry.content.toString("utf8"), path).not.toContain("example.com/risk-api");
  });

  it("switches the router inside the same files", () => {
    const chi = render(manifest({ router: "chi" }));
    expect(text(chi, "orchestrator/go.mod")).toContain("github.com/go-chi/chi/v5");
    expect(text(full, "orchestrator/go.mod")).not.toContain("go-chi");
    expect([...chi.keys()]).toEqual([...full.keys()]);
  });

  it("drops Docker files with docker: false and CI files without providers", () => {
    const bare = render(manifest({ docker: false, ci: { providers: [] } as never }));
    const paths = [...bare.keys()];
    expect(paths.filter((p) => /Dockerfile|docker-compose|\.dockerignore/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.startsWith(".github/"))).toEqual([]);
    expect(text(bare, "Makefile")).not.toContain("docker compose");
  });

  it.each([
    ["http", ["internal/httpapi/", "cmd/smoke/"], ["internal/sqsconsumer/", "internal/kinesisconsumer/", "cmd/bootstrap/", "internal/results/"]],
    ["sqs", ["internal/sqsconsumer/", "internal/results/", "cmd/bootstrap/", "cmd/produce/", "cmd/verify/"], ["internal/httpapi/", "internal/kinesisconsumer/", "cmd/smoke/"]],
    ["kinesis", ["internal/kinesisconsumer/", "internal/results/", "cmd/bootstrap/", "cmd/verify/"], ["internal/httpapi/", "internal/sqsconsumer/", "cmd/smoke/"]],
  ])("renders only the %s ingress's packages", (ingress, present, absent) => {
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress } }));
    const paths = [...tree.keys()];
    for (const dir of present) expect(paths.some((p) => p.startsWith(`orchestrator/${dir}`)), dir).toBe(true);
    for (const dir of absent) expect(paths.some((p) => p.startsWith(`orchestrator/${dir}`)), dir).toBe(false);
    expect(paths.includes("scripts/emulator.sh")).toBe(ingress !== "http");
  });

  it.each([
    ["sqs", "dynamodb", ["main.go", "main_test.go", "store_dynamodb.go", "store_dynamodb_test.go", "deadletter_sqs.go"]],
    ["sqs", "none", ["main.go", "main_test.go", "store_log.go", "store_log_test.go", "deadletter_sqs.go"]],
    ["kinesis", "dynamodb", ["main.go", "main_test.go", "store_dynamodb.go", "store_dynamodb_test.go", "deadletter_kinesis.go"]],
    ["kinesis", "none", ["main.go", "main_test.go", "store_log.go", "store_log_test.go", "deadletter_kinesis.go"]],
  ])("cmd/verify for %s with sink %s reads the sink's own store", (ingress, sink, files) => {
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress, sink } }));
    const verify = [...tree.keys()].filter((p) => p.startsWith("orchestrator/cmd/verify/")).map((p) => p.slice("orchestrator/cmd/verify/".length));
    expect(verify.sort()).toEqual([...files].sort());
    expect(text(tree, "scripts/smoke.sh")).toContain("go_tool verify");
  });

  it.each([
    ["http", "none", ["wire_http.go", "ready_http_test.go", "start_http_test.go", "drain_http_test.go"]],
    ["sqs", "dynamodb", ["wire_sqs.go", "sink_dynamodb.go", "consume.go", "ready_queue_test.go", "start_queue_test.go"]],
    ["sqs", "none", ["wire_sqs.go", "sink_none.go", "consume.go", "ready_queue_test.go", "start_queue_test.go"]],
    ["kinesis", "dynamodb", ["wire_kinesis.go", "sink_dynamodb.go", "consume.go", "ready_queue_test.go", "start_queue_test.go"]],
    ["kinesis", "none", ["wire_kinesis.go", "sink_none.go", "consume.go", "ready_queue_test.go", "start_queue_test.go"]],
  ])("cmd/orchestrator for %s with sink %s holds that ingress's and that sink's files", (ingress, sink, files) => {
    const shared = ["main.go", "main_test.go", "signals_test.go", "gc.go", "gc_test.go", "workers.go", "workers_test.go"];
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", ingress, sink } }));
    const dir = "orchestrator/cmd/orchestrator/";
    const got = [...tree.keys()].filter((p) => p.startsWith(dir)).map((p) => p.slice(dir.length));
    expect(got.sort()).toEqual([...shared, ...files].sort());
  });

  it("is deterministic and marks only scripts executable", () => {
    const again = render(manifest());
    expect([...again.keys()]).toEqual([...full.keys()]);
    for (const [path, entry] of full) {
      expect(again.get(path)!.content.equals(entry.content), path).toBe(true);
      expect(entry.mode, path).toBe(path.endsWith(".sh") ? 0o755 : 0o644);
    }
  });
});
