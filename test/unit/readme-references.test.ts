import { describe, expect, it } from "vitest";
import { changeSteps, nextSteps } from "../../src/commands/next-steps.js";
import { parseManifest, type Manifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * Every pointer into the README names a place a reader can find there: the
 * generated files' "README, X" / README "X" / "see X", the README's own
 * #anchors, and the CLI's next steps ("README.md, X"). A place is a heading
 * or a paragraph's bold lead ("**Stopping.**"). "see Telemetry" once pointed at
 * a section called Observability, and the queue presets' "Try it locally"
 * was a paragraph lost inside Commands, which no outline showed.
 */
const combos = (["http", "sqs", "kinesis"] as const).flatMap((ingress) =>
  (["tcp", "uds"] as const).flatMap((transport) => [true, false].map((docker) => ({ ingress, transport, docker }))),
);

function manifestFor(c: (typeof combos)[number]): Manifest {
  return parseManifest({
    name: "risk-api",
    orchestrator: { module: "example.com/risk-api/orchestrator", ingress: c.ingress },
    docker: c.docker,
    ci: { providers: ["gitlab"] },
    workers: ["scorer", "pricing"].map((name) => ({ name, transport: c.transport })),
  });
}

/** Headings, and the bold leads of paragraphs, of a README. */
function places(readme: string): Set<string> {
  const headings = [...readme.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim());
  const leads = [...readme.matchAll(/^\*\*([^*]+?)\.?\*\*/gm)].map((m) => m[1]!.trim());
  return new Set([...headings, ...leads]);
}

/** GitHub's anchor of a heading. */
const slug = (heading: string) => heading.toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");

/**
 * The README places a text points at, each with whether it was quoted. A
 * comment's line break ("README, The\n# manifest") reads as a space.
 */
function pointers(text: string, ownReadme: boolean): { place: string; quoted: boolean }[] {
  const flat = text.replace(/\n\s*(#|\/\/)\s*/g, " ");
  const name = String.raw`([A-Z][A-Za-z]*(?: [a-z][a-z]*)*)`;
  const forms = [
    new RegExp(String.raw`README(?:\.md)?(?:'s|,)? (?:"([^"]+)"|${name})`, "g"),
    new RegExp(String.raw`"([^"]+)"() in README`, "g"),
    ...(ownReadme ? [new RegExp(String.raw`()\bsee ${name}\b`, "g")] : []),
  ];
  return forms.flatMap((re) => [...flat.matchAll(re)].map((m) => (m[1] ? { place: m[1], quoted: true } : { place: m[2]!, quoted: false })));
}

/**
 * Whether a pointer finds its place: a quoted one is a place or words of the
 * README ("how long"); an unquoted one is a place followed by words of the
 * sentence ("Configuration section" is Configuration).
 */
function finds(p: { place: string; quoted: boolean }, found: Set<string>, readme: string): boolean {
  if (p.quoted) return found.has(p.place) || readme.toLowerCase().includes(p.place.toLowerCase());
  const words = p.place.split(" ");
  return words.some((_, i) => found.has(words.slice(0, i + 1).join(" ")));
}

describe.each(combos)("README pointers: %o", (c) => {
  const m = manifestFor(c);
  const tree = render(m);
  const readme = tree.get("README.md")!.content.toString("utf8");
  const found = places(readme);

  it("every README, X in a generated file names a heading or a bold lead of the README", () => {
    const bad: string[] = [];
    for (const [path, file] of tree) {
      const text = file.content.toString("utf8");
      for (const p of pointers(text, path === "README.md")) {
        if (!finds(p, found, readme)) bad.push(`${path}: ${p.place}`);
      }
    }
    expect(bad, [...found].join(" | ")).toEqual([]);
  });

  it("every #anchor of the README is a heading's", () => {
    const anchors = new Set([...found].map(slug));
    const bad = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((x) => x[1]!).filter((a) => !anchors.has(a));
    expect(bad).toEqual([]);
  });

  it("every README place the CLI's next steps name is one", () => {
    const lines = [
      ...nextSteps("app", m, false),
      ...changeSteps("add", "worker", "pricing", m, "."),
      ...changeSteps("remove", "worker", "pricing", m, "."),
    ];
    const bad = pointers(lines.join("\n"), false)
      .filter((p) => !finds(p, found, readme))
      .map((p) => p.place);
    expect(bad, [...found].join(" | ")).toEqual([]);
  });
});
