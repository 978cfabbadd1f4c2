import { describe, expect, it } from "vitest";
import { UsageError, errorLine, escapeInvisible } from "../../src/errors.js";
import { RAW_INVISIBLE } from "../helpers/cli.js";
import { editDistance, nearest, oneTypo } from "../../src/suggest.js";


describe("escapeInvisible", () => {
  it.each([
    ["byte order mark", "\ufeff{", "\\ufeff{"],
    ["zero-width space", "sqs\u200b", "sqs\\u200b"],
    ["right-to-left mark", "a\u200fb", "a\\u200fb"],
    ["bidi override", "chi\u202e", "chi\\u202e"],
    ["bidi isolate", "\u2066x\u2069", "\\u2066x\\u2069"],
    ["C0 control", "a\u0001b", "a\\u0001b"],
    ["newline (stays one line)", "a\nb", "a\\u000ab"],
    ["DEL and C1", "\u007f\u0085", "\\u007f\\u0085"],
  ])("%s", (_name, input, expected) => {
    expect(escapeInvisible(input)).toBe(expected);
    expect(escapeInvisible(expected)).toBe(expected);
    expect(expected).not.toMatch(RAW_INVISIBLE);
  });

  it("leaves printable text, tabs and non-Latin letters alone", () => {
    expect(escapeInvisible("name: \"my app\"\tüñ 名前")).toBe("name: \"my app\"\tüñ 名前");
  });

  it("applies to every UsageError, whatever field, value or rule carries the character", () => {
    const err = new UsageError("fr\u200bob", "\ufeffapp", "allowed\nhere");
    expect(err.message).toBe('fr\\u200bob: "\\ufeffapp" is not valid; allowed\\u000ahere');
  });
});

describe("errorLine", () => {
  it("prints a usage error as is", () => {
    expect(errorLine(new UsageError("name", "X", "lowercase"), "1.0.0")).toBe('error: name: "X" is not valid; lowercase');
  });

  it("turns an unexpected error into one line asking for a bug report, never a stack", () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'x')\n    at f (file.js:1:1)");
    const line = errorLine(err, "1.2.3");
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toMatch(/^error: Cannot read properties of undefined \(reading 'x'\) \(unexpected: a bug in create-hybrid-backend 1\.2\.3; please report it .*HYBRID_BACKEND_DEBUG=1/);
    expect(line).not.toContain("at f");
  });

  it("leaves the machine's own refusals without a bug hint", () => {
    const err = Object.assign(new Error("EACCES: permission denied, mkdir '/srv/app'"), { code: "EACCES" });
    expect(errorLine(err, "1.0.0")).toBe("error: EACCES: permission denied, mkdir '/srv/app'");
  });

  it("names a failed subprocess and its last word on stderr", () => {
    const err = Object.assign(new Error("Command failed with exit code 128: git init\n\nhint: x\nfatal: no space"), {
      shortMessage: "Command failed with exit code 128: git init",
      stderr: "hint: x\nfatal: no space",
    });
    expect(errorLine(err, "1.0.0")).toMatch(/^error: Command failed with exit code 128: git init: fatal: no space \(unexpected/);
  });

  it("escapes what it quotes", () => {
    expect(errorLine(new Error("bad \u202e value"), "1.0.0")).not.toMatch(RAW_INVISIBLE);
  });
});

describe("nearest", () => {
  const options = ["ingress", "router", "no-validate", "no-git", "git-init", "name"];
  it.each([
    ["ingres", "ingress"],
    ["ingresss", "ingress"],
    ["rooter", "router"],
    ["no-validation", "no-validate"],
    ["no-gti", "no-git"],
    ["INGRESS", "ingress"],
  ])("%s → %s", (typo, expected) => {
    expect(nearest(typo, options)).toBe(expected);
  });

  it("suggests nothing for a word far from every candidate, or near a short one", () => {
    expect(nearest("frob", options)).toBeUndefined();
    expect(nearest("app", ["add"])).toBeUndefined();
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("sycn", "sync")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("mistyped commands", () => {
  const commands = ["create", "validate", "doctor", "sync", "add", "remove"];
  it.each(["valdate", "vaildate", "doctr", "synk", "remvoe", "creat"])("%s is caught", (typo) => {
    expect(nearest(typo, commands, oneTypo)).toBeDefined();
  });
  it.each(["docker", "app", "api", "scoring", "sinks"])("%s stays a project name", (name) => {
    expect(nearest(name, commands, oneTypo)).toBeUndefined();
  });
});
