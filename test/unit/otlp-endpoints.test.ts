import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { OTLP_DEFAULT_PROTOCOL, OTLP_PORTS, type OtlpProtocol } from "../../src/render/otel-env.js";

/**
 * Every OTLP endpoint the generated repo names (README hints, compose, the
 * cluster's ConfigMaps, scripts) is the collector port of the protocol the
 * exporter uses there: the OTEL_EXPORTER_OTLP_PROTOCOL set beside it (within
 * the next lines), else the services' default.
 */
const PRESETS = [
  { orchestrator: { ingress: "http" }, workers: [{ name: "scorer" }] },
  { orchestrator: { ingress: "sqs" }, workers: [{ name: "scorer", transport: "uds" }] },
  { orchestrator: { ingress: "kinesis" }, workers: [{ name: "scorer" }, { name: "pricing", transport: "uds" }] },
] as const;

const ENDPOINT = /OTEL_EXPORTER_OTLP_(?:TRACES_)?ENDPOINT["'`]?\s*[=:]\s*["'`]?https?:\/\/[\w.-]+:(\d+)/g;
const PROTOCOL = /OTEL_EXPORTER_OTLP_(?:TRACES_)?PROTOCOL["'`]?\s*[=:]\s*["'`]?(grpc|http\/protobuf)/;

describe.each(PRESETS)("OTLP endpoints, $orchestrator.ingress", (preset) => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ...preset.orchestrator }, workers: preset.workers, deploy: ["kubernetes"] }));

  it("name the port of the protocol in use", () => {
    const seen: string[] = [];
    for (const [path, file] of tree) {
      if (path.endsWith(".json") || path.endsWith("_test.go") || path.includes("/tests/")) continue;
      const text = file.content.toString("utf8");
      for (const match of text.matchAll(ENDPOINT)) {
        // Up to the next endpoint named, within three lines.
        const rest = text.slice(match.index + match[0].length);
        const next = rest.search(/OTEL_EXPORTER_OTLP_(?:TRACES_)?ENDPOINT/);
        const after = (next < 0 ? rest : rest.slice(0, next)).split("\n").slice(0, 3).join("\n");
        const protocol = (PROTOCOL.exec(after)?.[1] ?? OTLP_DEFAULT_PROTOCOL) as OtlpProtocol;
        expect(Number(match[1]), `${path}: ${match[0]} (${protocol})`).toBe(OTLP_PORTS[protocol]);
        seen.push(path);
      }
    }
    // The README's make run hint and the cluster's ConfigMaps are among them.
    expect(seen).toContain("README.md");
    expect(seen.some((p) => p.startsWith("deploy/kubernetes/"))).toBe(true);
  });
});
