import { describe, expect, it } from "vitest";
import { errorJson, UsageError } from "../../src/errors.js";
import { runCli, snapshot, tempDir } from "../helpers/cli.js";

/**
 * Under --json a failure is one JSON object on stdout, shaped like the
 * reports ({"ok": false, "exit": N, "error": {...}}), while stderr keeps the
 * one human line: a script reads the field and the value, a person the line.
 */
type Failure = { ok: boolean; exit: number; error: { field?: string; value?: unknown; allowed?: string; message: string } };

async function failure(args: string[], cwd = tempDir()) {
  const before = snapshot(cwd);
  const result = await runCli(args, cwd);
  const lines = result.stdout.trim().split("\n");
  expect(lines, result.stdout).toHaveLength(1);
  const report = JSON.parse(lines[0]!) as Failure;
  expect(result.exitCode).toBe(report.exit);
  expect(report.ok).toBe(false);
  expect(result.stderr.trim()).toBe(`error: ${report.error.message}`);
  expect(snapshot(cwd)).toEqual(before);
  return report;
}

describe("--json failures", () => {
  it("a bad flag value", async () => {
    const report = await failure(["app", "--json", "--ingress", "bad"]);
    expect(report).toEqual({
      ok: false,
      exit: 2,
      error: {
        field: "orchestrator.ingress (--ingress)",
        value: "bad",
        allowed: "allowed: http, sqs, kinesis",
        message: 'orchestrator.ingress (--ingress): "bad" is not valid; allowed: http, sqs, kinesis',
      },
    });
  });

  it("argv that does not parse, --json given before or after the fault", async () => {
    expect((await failure(["app", "--json", "--frob"])).error).toMatchObject({ field: "option", value: "--frob" });
    expect((await failure(["app", "--name", "--json"])).error).toMatchObject({ field: "option", value: "--name" });
  });

  it("add worker with a bad name, in a generated repo", async () => {
    const cwd = tempDir();
    const created = await runCli(["app", "--yes", "--no-validate", "--no-git"], cwd);
    expect(created.exitCode, created.stderr).toBe(0);
    const report = await failure(["add", "worker", "Bad", "app", "--json"], cwd);
    expect(report.exit).toBe(2);
    expect(report.error).toMatchObject({ field: "worker NAME", value: "Bad" });
  });

  it("keeps the raw value for JSON to escape, and the escaped one in the message", () => {
    const parsed = JSON.parse(errorJson(new UsageError("name", "a\u001bb", "lowercase"), 2, "1.0.0")) as Failure;
    expect(parsed.error.value).toBe("a\u001bb");
    expect(parsed.error.message).toBe('name: "a\\u001bb" is not valid; lowercase');
  });

  it("an unexpected error: exit 1, the message only", () => {
    const parsed = JSON.parse(errorJson(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }), 1, "1.0.0")) as Failure;
    expect(parsed).toEqual({ ok: false, exit: 1, error: { message: "ENOSPC: no space left on device" } });
  });

  it("without --json, stdout stays empty", async () => {
    const result = await runCli(["app", "--ingress", "bad"], tempDir());
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
  });
});
