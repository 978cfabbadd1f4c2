import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * The generated repo's scripts and Makefile recipes run under the developer's
 * bash, and macOS ships bash 3.2, which this machine cannot run. Each
 * construct below needs a later bash (its version given): none may appear in a
 * script or recipe of any preset. The other rule bash 3.2 (to 4.3) enforces,
 * that "${a[@]}" of an empty array fails under set -u, is beyond a pattern:
 * the scripts guard such expansions as ${a[@]+"${a[@]}"}.
 */
const NEWER_BASH: readonly { what: string; since: string; pattern: RegExp; example: string }[] = [
  { what: "associative arrays", since: "4.0", pattern: /\b(declare|local|typeset)\s+-[a-zA-Z]*A/, example: "declare -A seen" },
  { what: "case-changing expansions", since: "4.0", pattern: /\$\{[#!]?[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?(,,?|\^\^?)[^}]*\}/, example: 'echo "${name,,}"' },
  { what: "case attributes (declare -l/-u)", since: "4.0", pattern: /\b(declare|local|typeset)\s+-[a-zA-Z]*[lu]\b/, example: "local -l lower" },
  { what: "namerefs", since: "4.3", pattern: /\b(declare|local|typeset)\s+-[a-zA-Z]*n\b/, example: "local -n ref=$1" },
  { what: "declare -g", since: "4.2", pattern: /\b(declare|typeset)\s+-[a-zA-Z]*g/, example: "declare -g x=1" },
  { what: "wait -n / wait -p", since: "4.3", pattern: /\bwait\s+(-[a-z]*[np]|-f)/, example: "wait -n" },
  { what: "mapfile / readarray", since: "4.0", pattern: /\b(mapfile|readarray)\b/, example: "mapfile -t lines < f" },
  { what: "coproc", since: "4.0", pattern: /\bcoproc\b/, example: "coproc cat" },
  { what: "|& and &>>", since: "4.0", pattern: /\|&|&>>/, example: "make |& tee log" },
  { what: "case fall-through ;& and ;;&", since: "4.0", pattern: /;;&|[^;];&/, example: "  a) echo a ;&" },
  { what: "-v tests", since: "4.2", pattern: /(\[\[|\[|\btest)\s+-v\b/, example: "[[ -v NAME ]]" },
  { what: "negative array subscripts", since: "4.3", pattern: /\$\{[A-Za-z_][A-Za-z0-9_]*\[\s*-[0-9$]/, example: 'echo "${pids[-1]}"' },
  { what: "named file descriptors", since: "4.1", pattern: /\{[A-Za-z_][A-Za-z0-9_]*\}[<>]/, example: "exec {fd}>log" },
  { what: "parameter transformations", since: "4.4", pattern: /\$\{[^}]*@[QEPAaKkuUL]\}/, example: 'echo "${v@Q}"' },
  { what: "BASHPID, EPOCHSECONDS, EPOCHREALTIME", since: "4.0/5.0", pattern: /\b(BASHPID|EPOCHSECONDS|EPOCHREALTIME)\b/, example: "echo $BASHPID" },
  { what: "shopt globstar, lastpipe, autocd, checkjobs, direxpand", since: "4.0", pattern: /\bshopt\s+-s\s+.*\b(globstar|lastpipe|autocd|checkjobs|direxpand)\b/, example: "shopt -s globstar" },
  { what: "printf %(...)T", since: "4.2", pattern: /printf\b[^\n]*%\(/, example: "printf '%(%s)T' -1" },
  { what: "fractional read -t", since: "4.0", pattern: /\bread\b[^\n]*-t\s*[0-9]*\.[0-9]/, example: "read -t 0.5 line" },
  { what: "\\u escapes in $'...'", since: "4.2", pattern: /\$'[^']*\\[uU][0-9a-fA-F]/, example: "echo $'\\u00b5'" },
  { what: "zero-padded or stepped brace ranges", since: "4.0", pattern: /\{0[0-9]+\.\.[0-9]+\}|\{[0-9]+\.\.[0-9]+\.\.[0-9]+\}/, example: "echo {01..10}" },
];

/** A script's code lines: comments, which may mention anything, left out. */
function codeLines(text: string): { line: string; n: number }[] {
  return text
    .split("\n")
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => !/^\s*#/.test(line));
}

const PRESETS = [
  { ingress: "http", workers: [{ name: "scorer", transport: "tcp" }] },
  { ingress: "http", workers: [{ name: "scorer", transport: "uds" }, { name: "pricing", transport: "tcp" }] },
  { ingress: "sqs", sink: "dynamodb", workers: [{ name: "scorer", transport: "tcp" }, { name: "pricing", transport: "tcp" }] },
  { ingress: "kinesis", workers: [{ name: "scorer", transport: "uds" }] },
];

describe("the generated scripts run under bash 3.2 (macOS's)", () => {
  it.each(NEWER_BASH.map((c) => [c.what, c] as const))("each pattern finds what it names: %s", (_, c) => {
    expect(c.pattern.test(c.example)).toBe(true);
  });

  it.each(PRESETS.map((p) => [`${p.ingress} ${p.workers.map((w) => `${w.name}/${w.transport}`).join(" ")}`, p] as const))("%s: no construct of a later bash", (_, p) => {
    const tree = render(parseManifest({ name: "compat-app", orchestrator: { module: "example.com/compat-app/orchestrator", ingress: p.ingress, ...(p.sink ? { sink: p.sink } : {}) }, workers: p.workers }));
    const files = [...tree.keys()].filter((path) => path.endsWith(".sh") || path === "Makefile");
    expect(files).toEqual(expect.arrayContaining(["Makefile", "scripts/run.sh", "scripts/lib.sh", "scripts/smoke.sh", "scripts/wait-ready.sh", "scripts/bench.sh"]));
    const found: string[] = [];
    for (const path of files) {
      for (const { line, n } of codeLines(tree.get(path)!.content.toString("utf8"))) {
        for (const c of NEWER_BASH) if (c.pattern.test(line)) found.push(`${path}:${n}: ${c.what} (bash ${c.since}): ${line.trim()}`);
      }
    }
    expect(found).toEqual([]);
  });
});
