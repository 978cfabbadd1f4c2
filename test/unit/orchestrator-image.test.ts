import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { dockerfileStages } from "../helpers/dockerfile-stages.js";

/**
 * The orchestrator's production image once held every command of the Go
 * module (go build ./cmd/...: loadgen, produce, verify, bootstrap beside the
 * orchestrator). Its final stage, the one `docker build` and CI build, now
 * holds the orchestrator alone; every other command an image is run with
 * (compose's bootstrap service, its header's `docker compose run
 * --entrypoint`) comes from the stage that service builds, which must hold it.
 */
describe("orchestrator/Dockerfile", () => {
  for (const ingress of ["http", "sqs", "kinesis"] as const) {
    const tree = render(parseManifest({ name: "img-app", orchestrator: { module: "example.com/img-app/orchestrator", ingress } }));
    const read = (p: string) => tree.get(p)!.content.toString("utf8");
    const stages = dockerfileStages(read("orchestrator/Dockerfile"));

    it(`ships only the orchestrator in the production image (${ingress})`, () => {
      expect(stages.commands.get(stages.final)).toEqual(["orchestrator"]);
      expect(read("orchestrator/Dockerfile")).not.toContain("./cmd/...");
    });

    it(`holds every command compose runs from it, in the stage compose builds (${ingress})`, () => {
      const compose = read("docker-compose.yml");
      const services = (parse(compose) as { services: Record<string, { build?: { context: string; target?: string }; entrypoint?: string[] }> }).services;
      const fromImage = Object.entries(services).filter(([, s]) => s.build?.context === "orchestrator");
      expect(fromImage.length).toBeGreaterThan(0);
      const used: [string, string][] = fromImage.map(([name, s]) => [name, s.entrypoint?.[0] ?? "/usr/local/bin/orchestrator"]);
      for (const m of compose.matchAll(/docker compose run .*--entrypoint (\S+) (\S+)/g)) used.push([m[2]!, m[1]!]);
      for (const [service, entrypoint] of used) {
        const target = services[service]!.build!.target ?? stages.final;
        expect(stages.names, `${service}'s target`).toContain(target);
        expect(stages.commands.get(target), `${service} runs ${entrypoint}`).toContain(entrypoint.replace("/usr/local/bin/", ""));
      }
    });
  }
});
