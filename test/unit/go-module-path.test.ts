import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { goModulePathProblem } from "../../src/go-module-path.js";
import { parseManifest } from "../../src/manifest.js";

/**
 * golang.org/x/mod/module.CheckPath's rules, plus `vendor`. Checked with go
 * 1.26: every accepted row passes `go mod init`; every rejected row fails
 * `go mod init` (or, for vendor, `go build ./...` on a module shaped like the
 * orchestrator), except the three first-element and leading-dot rows, which
 * only `go mod init` lets through (it allows local-only paths) and
 * CheckPath, hence `go get` and the module proxy, refuses.
 */
const accepted = [
  "example.com/a/b",
  "github.com/Acme/Risk_API/orchestrator",
  "example.com/x~y/v2",
  "github.com/acme/x~1a",
  "github.com/acme/con-tools",
  "github.com/acme/console",
  "github.com/acme/vendorx/y",
  "github.com/acme/internal/y",
  "github.com/acme/x/v2",
  "github.com/acme/x/v10",
  "gopkg.in/yaml.v3",
  "gopkg.in/yaml.v0",
  "gopkg.in/acme/yaml.v2-unstable",
  "gitlab.example.org/g/sub/p",
];

const rejected: [string, RegExp][] = [
  ["", /empty/],
  ["/example.com/x", /leading slash/],
  ["-example.com/x", /leading dash/],
  ["example.com//x", /double slash/],
  ["example.com/x/", /trailing slash/],
  ["example.com/../x", /all dots/],
  ["example.com/.x", /leading dot/],
  ["example.com/x.", /trailing dot/],
  ["example.com/a b", /invalid character " "/],
  ["example.com/caf\u00e9", /invalid character "\u00e9"/],
  ["noDot/x", /missing dot in the first path element/],
  ["Example.com/x", /invalid character "E" in the first path element/],
  ["exa_mple.com/x", /invalid character "_" in the first path element/],
  ["github.com/acme/con", /"con" disallowed as a path element on Windows/],
  ["github.com/acme/CON.d", /"CON" disallowed as a path element on Windows/],
  ["github.com/acme/lpt9/x", /"lpt9" disallowed/],
  ["github.com/acme/x~1", /trailing tilde and digits/],
  ["github.com/acme/x~12.y", /trailing tilde and digits/],
  ["github.com/acme/x/vendor/y", /"vendor" as a path element/],
  ["github.com/acme/vendor", /"vendor" as a path element/],
  ["github.com/acme/x/v0", /major version suffix "\/v0"/],
  ["github.com/acme/x/v1", /major version suffix "\/v1"/],
  ["github.com/acme/x/v02", /major version suffix "\/v02"/],
  ["github.com/acme/x/v1.2", /major version suffix "\/v1\.2"/],
  ["gopkg.in/yaml", /gopkg\.in path must end in its major version/],
  ["gopkg.in/yaml.v03", /gopkg\.in path must end in its major version/],
];

describe("Go module paths", () => {
  it.each(accepted)("accepts %s", (path) => {
    expect(goModulePathProblem(path)).toBeUndefined();
    expect(parseManifest({ name: "app", orchestrator: { module: path } }).orchestrator.module).toBe(path);
  });

  it.each(rejected)("rejects %j, naming the rule", (path, rule) => {
    expect(goModulePathProblem(path)).toMatch(rule);
    try {
      parseManifest({ name: "app", orchestrator: { module: path } });
      expect.unreachable("accepted");
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      const message = (err as Error).message;
      expect(message.startsWith(`orchestrator.module (--module): ${JSON.stringify(path)} is not valid; `)).toBe(true);
      expect(message).toMatch(rule);
      expect(message).not.toContain("\n");
    }
  });
});
