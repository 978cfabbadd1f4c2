import * as protoLoader from "@grpc/proto-loader";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { withoutRules } from "../../src/validate/grpc.js";
import { ROOT } from "../helpers/cli.js";

it("loads the contract for the smoke client without its buf.validate rules", () => {
  const source = readFileSync(join(ROOT, "templates", "proto", "scoring", "v1", "scoring.proto"), "utf8");
  expect(source).toContain("(buf.validate.field)");
  const stripped = withoutRules(source);
  expect(stripped).not.toMatch(/\(buf\.validate\.|import "buf/);
  expect(stripped).toContain("map<string, double> numeric_features = 2;");
  const file = join(mkdtempSync(join(tmpdir(), "chb-proto-")), "scoring.proto");
  writeFileSync(file, stripped);
  const def = protoLoader.loadSync(file);
  expect(Object.keys(def["scoring.v1.ScoringService"] as object)).toEqual(["Score", "ScoreBatch"]);
});
