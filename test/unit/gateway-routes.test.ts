import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

/**
 * The grpc-gateway baseline (orchestrator/cmd/gateway) must serve exactly the orchestrator's
 * unnamed routes, or `make bench` would compare different calls: its routes.yaml (read by
 * protoc-gen-grpc-gateway) and the route table in internal/httpapi/api.go are kept equal here.
 */
it("maps the grpc-gateway baseline onto the orchestrator's own routes", () => {
  const yaml = readFileSync("templates/go-orchestrator/cmd/gateway/routes.yaml", "utf8");
  const api = readFileSync("templates/go-orchestrator/internal/httpapi/api.go.hbs", "utf8");
  const rules = [...yaml.matchAll(/selector: scoring\.v1\.ScoringService\.(\w+)\n\s+post: (\S+)\n\s+body: "\*"/g)].map(([, rpc, path]) => `${rpc} ${path}`);
  const routes = [...api.matchAll(/\{http\.MethodPost, "(\/v1\/[^"]+)", unary\(h, primary, validation\.(\w+)Request, primary\.Worker\.\w+\)\}/g)].map(([, path, rpc]) => `${rpc} ${path}`);
  expect(routes).toEqual(["Score /v1/score", "ScoreBatch /v1/score/batch"]);
  expect(rules).toEqual(routes);
});
