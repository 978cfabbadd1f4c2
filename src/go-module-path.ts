/**
 * Whether a string can be the orchestrator's Go module path: the rules of
 * golang.org/x/mod/module.CheckPath (what `go get` and the module proxy
 * enforce; $(go env GOROOT)/src/cmd/vendor/golang.org/x/mod/module/module.go),
 * written out here, plus the `vendor` element that `go build` refuses in the
 * module's own imports. Each rule was checked against go 1.26 with
 * `go mod init PATH` and `go build ./...` on a module shaped like the
 * generated orchestrator (cmd/, internal/, gen/). `go mod init` alone is
 * laxer (a local module needs no dot), but the generated repo is meant to be
 * pushed and fetched, so CheckPath is the bar.
 *
 * Returns the broken rule, phrased for the user, or undefined when valid.
 */
export function goModulePathProblem(path: string): string | undefined {
  if (path === "") return "it is empty";
  if (path.startsWith("/")) return "leading slash";
  if (path.startsWith("-")) return "leading dash";
  if (path.includes("//")) return "double slash (an empty path element)";
  if (path.endsWith("/")) return "trailing slash";
  const elements = path.split("/");
  for (const element of elements) {
    const problem = elementProblem(element);
    if (problem) return problem;
  }
  const first = elements[0]!;
  // The first element is looked up as a host name, so it is a lowercase domain-like name.
  if (!first.includes(".")) return `missing dot in the first path element "${first}" (it must look like a domain)`;
  const badHostChar = [...first].find((c) => !/[a-z0-9.-]/.test(c));
  if (badHostChar !== undefined) return `invalid character "${badHostChar}" in the first path element (lowercase letters, digits, '.' and '-' only)`;
  // go build: "use of vendored package not allowed" for every import under the module.
  if (elements.includes("vendor")) return `"vendor" as a path element (go refuses to import vendored packages)`;
  return majorVersionProblem(path);
}

/** CON, PRN, AUX, NUL, COM1-9, LPT1-9: Windows cannot create files with these names, whatever the extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

function elementProblem(element: string): string | undefined {
  if (/^\.+$/.test(element)) return `invalid path element "${element}" (all dots)`;
  if (element.startsWith(".")) return `leading dot in path element "${element}"`;
  if (element.endsWith(".")) return `trailing dot in path element "${element}"`;
  // Module paths are ASCII only so their escaped (case-encoded) form stays unambiguous.
  const badChar = [...element].find((c) => !/[A-Za-z0-9._~-]/.test(c));
  if (badChar !== undefined) return `invalid character ${JSON.stringify(badChar)} in path element "${element}" (letters, digits, '.', '-', '_' and '~' only)`;
  // Windows judges a name by what comes before its first dot (con.txt is CON).
  const stem = element.split(".")[0]!;
  if (WINDOWS_RESERVED.test(stem)) return `"${stem}" disallowed as a path element on Windows (reserved device name)`;
  // x~1 reads as a Windows 8.3 short name, which could alias another element.
  if (/~\d+$/.test(stem)) return `trailing tilde and digits in path element "${element}" (a Windows short name)`;
  return undefined;
}

/**
 * A trailing /vN names the module's major version: only N >= 2 without a
 * leading zero (v0 and v1 take no suffix). gopkg.in paths always carry
 * theirs as .vN (v0 allowed there), optionally followed by -unstable.
 */
function majorVersionProblem(path: string): string | undefined {
  if (path.startsWith("gopkg.in/")) {
    const m = /\.v(\d+)(?:-unstable)?$/.exec(path);
    if (!m || (m[1]!.startsWith("0") && m[1] !== "0")) {
      return "a gopkg.in path must end in its major version as .vN, for example gopkg.in/yaml.v3";
    }
    return undefined;
  }
  const m = /\/v([\d.]+)$/.exec(path);
  if (!m) return undefined;
  const n = m[1]!;
  if (n.includes(".") || n.startsWith("0") || n === "1") {
    return `major version suffix "/v${n}": use /vN only for v2 or later (no dots, no leading zero), or leave it out`;
  }
  return undefined;
}
