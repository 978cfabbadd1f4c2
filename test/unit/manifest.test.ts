import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { baseImages, defaultModule, manifestJsonSchema, parseManifest } from "../../src/manifest.js";

const minimal = { name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" } };

describe("manifest schema", () => {
  it("fills every default from a minimal manifest", () => {
    const m = parseManifest(minimal);
    expect(m).toMatchObject({
      generator: { name: "create-hybrid-backend" },
      orchestrator: { ingress: "http", router: "stdlib", sink: "none" },
      workers: [{ name: "scorer", transport: "tcp" }],
      contract: { package: "scoring.v1" },
      ci: { providers: ["github"] },
      docker: true,
      toolchains: { go: "1.26", rust: "1.95.0" },
    });
  });

  it("round-trips: a parsed manifest parses to itself", () => {
    const m = parseManifest({ ...minimal, orchestrator: { ...minimal.orchestrator, router: "chi" }, docker: false });
    expect(parseManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it.each([
    ["name", { ...minimal, name: "Risk" }, /^name \(--name\): "Risk" is not valid; use 2-46 characters/],
    ["router", { ...minimal, orchestrator: { ...minimal.orchestrator, router: "gin" } }, /^orchestrator\.router \(--router\): "gin" .*allowed: stdlib, chi/],
    ["ingress", { ...minimal, orchestrator: { ...minimal.orchestrator, ingress: "amqp" } }, /^orchestrator\.ingress \(--ingress\): "amqp" .*allowed: http, sqs, kinesis/],
    ["sink on http", { ...minimal, orchestrator: { ...minimal.orchestrator, sink: "dynamodb" } }, /^orchestrator\.sink \(--sink\): "dynamodb" .*needs a queue ingress/],
    ["router on a queue", { ...minimal, orchestrator: { ...minimal.orchestrator, ingress: "sqs", router: "chi" } }, /^orchestrator\.router \(--router\): "chi" .*applies to the http ingress/],
    ["unknown key", { ...minimal, extra: 1 }, /^\(top level\): "extra" is not valid; an unknown key; remove it/],
    ["ci twice", { ...minimal, ci: { providers: ["github", "github"] } }, /^ci\.providers\.1 \(--ci\): "github" .*once/],
    ["module tail", { ...minimal, orchestrator: { module: "example.com/x/internal" } }, /^orchestrator\.module \(--module\): .*may not be "internal"/],
    ["toolchain", { ...minimal, toolchains: { go: "latest" } }, /toolchains\.go: "latest" .*MAJOR\.MINOR/],
    ["toolchain bump without its base image's digest", { ...minimal, toolchains: { rust: "1.96.0" } }, /^images\.rust:1\.96\.0-bookworm: \(missing\) .*add the sha256 digest of rust:1\.96\.0-bookworm/],
    ["base image digest that is a tag", { ...minimal, images: { "golang:1.26-bookworm": "latest" } }, /^images\.golang:1\.26-bookworm: "latest" .*sha256: and the 64 hex digits/],
    ["worker name", { ...minimal, workers: [{ name: "Pricing" }] }, /^workers\.0\.name \(--workers\): "Pricing" is not valid; use 2-24 characters: lowercase letters and digits/],
    ["worker name with a hyphen", { ...minimal, workers: [{ name: "risk-v2" }] }, /^workers\.0\.name \(--workers\): "risk-v2" .*lowercase letters and digits/],
    ["reserved worker name", { ...minimal, workers: [{ name: "scorer" }, { name: "orchestrator" }] }, /^workers\.1\.name \(--workers\): "orchestrator" .*reserved \(it names another service/],
    ["worker named like a dependency", { ...minimal, workers: [{ name: "tokio" }] }, /^workers\.0\.name \(--workers\): "tokio" .*reserved \(a dependency/],
    ["worker named by a Rust keyword", { ...minimal, workers: [{ name: "fn" }] }, /^workers\.0\.name \(--workers\): "fn" .*Rust keyword/],
    ["duplicate worker", { ...minimal, workers: [{ name: "scorer" }, { name: "scorer" }] }, /^workers\.1\.name \(--workers\): "scorer" .*different name/],
    ["no workers", { ...minimal, workers: [] }, /^workers \(--workers\): \[\] .*list 1 to 8 workers/],
    ["nine workers", { ...minimal, workers: [..."abcdefghi"].map((c) => ({ name: `w${c}` })) }, /^workers \(--workers\): .*list 1 to 8 workers/],
  ])("rejects %s with a one-line message naming field and value", (_label, input, message) => {
    try {
      parseManifest(input);
      expect.unreachable("parseManifest accepted bad input");
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain("\n");
    }
  });

  it("pins every base image the templates derive from the toolchains, and only when something builds from it", () => {
    const m = parseManifest(minimal);
    for (const ref of baseImages(m)) expect(m.images[ref], ref).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Without Dockerfiles or GitLab's job images nothing is built FROM them: a bump needs no digest.
    expect(() => parseManifest({ ...minimal, docker: false, toolchains: { rust: "1.96.0" } })).not.toThrow();
  });

  it("keeps the workers' order: the first is the primary", () => {
    const m = parseManifest({ ...minimal, workers: [{ name: "pricing" }, { name: "scorer" }] });
    expect(m.workers).toEqual([{ name: "pricing", transport: "tcp" }, { name: "scorer", transport: "tcp" }]);
  });

  it.each(["example.com/a/b", "github.com/Acme/Risk_API/orchestrator", "example.com/x~y/v2", "gitlab.example.org/g/sub/p"])(
    "accepts module path %s",
    (module) => {
      expect(parseManifest({ ...minimal, orchestrator: { module } }).orchestrator.module).toBe(module);
    },
  );

  it.each(["noDot/x", "Example.com/x", "example.com//x", "example.com/x/", "example.com/../x", "example.com/a b", "-example.com/x"])(
    "rejects module path %s",
    (module) => {
      expect(() => parseManifest({ ...minimal, orchestrator: { module } })).toThrow(UsageError);
    },
  );

  it.each([
    ["http", "none"],
    ["sqs", "dynamodb"],
    ["kinesis", "dynamodb"],
  ])("defaults the sink for ingress %s to %s", (ingress, sink) => {
    expect(parseManifest({ ...minimal, orchestrator: { ...minimal.orchestrator, ingress } }).orchestrator.sink).toBe(sink);
  });

  it("keeps an explicit sink none on a queue", () => {
    expect(parseManifest({ ...minimal, orchestrator: { ...minimal.orchestrator, ingress: "sqs", sink: "none" } }).orchestrator.sink).toBe("none");
  });

  it("derives the default module from the name", () => {
    expect(defaultModule("risk-api")).toBe("example.com/risk-api/orchestrator");
  });

  it("exports a JSON Schema whose enums match the CLI choices", () => {
    const schema = manifestJsonSchema() as { properties: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    expect(schema.properties.orchestrator!.properties!.router!.enum).toEqual(["stdlib", "chi"]);
    expect(schema.properties.orchestrator!.properties!.ingress!.enum).toEqual(["http", "sqs", "kinesis"]);
  });
});
