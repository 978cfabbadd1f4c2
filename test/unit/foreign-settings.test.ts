import { describe, expect, it } from "vitest";
import { foreignSettings } from "../../src/render/foreign-settings.js";
import { orchestratorSettings } from "../../src/render/settings.js";
import { workerContexts } from "../../src/render/workers.js";
import { INGRESS, parseManifest } from "../../src/manifest.js";

describe("the settings of another ingress, which the orchestrator warns of", () => {
  for (const ingress of INGRESS) {
    it(`are, for a ${ingress} repo, every setting only another ingress reads, with that ingress`, () => {
      const m = parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress } });
      const workers = workerContexts(m);
      const own = new Set(orchestratorSettings(m, workers).settings.map((s) => s.name));
      const foreign = foreignSettings(m, workers);
      for (const f of foreign) expect(own.has(f.name), f.name).toBe(false);
      const names = new Map(foreign.map((f) => [f.name, f.ingresses]));
      // One name from each other ingress's own part of the table.
      const probe: Record<string, string> = { http: "MAX_BODY_BYTES", sqs: "SQS_QUEUE_NAME", kinesis: "KINESIS_STREAM_NAME" };
      for (const other of INGRESS.filter((i) => i !== ingress)) expect(names.get(probe[other]!), probe[other]).toBe(other);
      expect(names.has("LISTEN_ADDR")).toBe(false);
    });
  }
});
