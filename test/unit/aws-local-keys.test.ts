import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * The fake AWS keys ("test") are set only where an emulator is certain: the
 * compose file's moto, the smoke's own moto, and aws_env's local-endpoint case
 * (scripts/aws.sh, unit-tested in script-lib.test.ts). Environment keys beat
 * profiles, SSO and instance roles, so set anywhere else they would sign real
 * AWS calls. The make targets that reach AWS go through aws_env.
 */
const EMULATOR_ONLY = ["docker-compose.yml", "scripts/aws.sh", "scripts/smoke.sh"];
const FAKE_KEY = /AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY)\s*(?:\?=|:=|=|:|:-)?\s*[\w{$]*[:-]*test\b/;

describe.each(["sqs", "kinesis"])("fake AWS keys, %s", (ingress) => {
  const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress }, workers: [{ name: "scorer" }] }));

  it("appear only where an emulator is the endpoint", () => {
    const where = [...tree].filter(([p, f]) => !p.endsWith(".json") && FAKE_KEY.test(f.content.toString("utf8"))).map(([p]) => p);
    expect(where.length).toBeGreaterThan(0);
    for (const p of where) expect(EMULATOR_ONLY, p).toContain(p);
  });

  it("the Makefile exports no AWS settings, and its AWS commands take them from aws_env", () => {
    const make = tree.get("Makefile")!.content.toString("utf8");
    expect(make).not.toMatch(/^\s*export AWS_/m);
    const recipes = make.split("\n").filter((l) => /go_tool (bootstrap|produce)\b/.test(l));
    expect(recipes.length).toBe(2);
    const lines = make.split("\n");
    for (const r of recipes) {
      // The recipe line, or the continued command it ends, starts with aws_env.
      let i = lines.indexOf(r);
      while (i > 0 && lines[i - 1]!.endsWith("\\")) i--;
      expect(lines[i], r).toMatch(/aws_env/);
    }
    expect(tree.get("scripts/run.sh")!.content.toString("utf8")).toMatch(/^\. scripts\/aws\.sh\naws_env run$/m);
  });
});
