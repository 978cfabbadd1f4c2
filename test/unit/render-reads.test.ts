import * as fs from "node:fs";
import { relative, sep } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { TEMPLATES_DIR } from "../../src/paths.js";
import { render } from "../../src/render/index.js";

// Every listing and read render makes, by path under templates/.
const listed: string[] = [];
const read: string[] = [];
vi.mock("node:fs", async (original) => {
  const real = await original<typeof import("node:fs")>();
  const under = (path: unknown) => relative(TEMPLATES_DIR, String(path)).split(sep).join("/");
  return {
    ...real,
    readdirSync: ((path: fs.PathLike, options?: unknown) => {
      listed.push(under(path));
      return real.readdirSync(path, options as never);
    }) as typeof real.readdirSync,
    readFileSync: ((path: fs.PathOrFileDescriptor, options?: unknown) => {
      if (typeof path === "string") read.push(under(path));
      return real.readFileSync(path, options as never);
    }) as typeof real.readFileSync,
  };
});

/**
 * create renders once per run, so what render reads from the tool's own
 * templates is on every user's clock: each folder is listed once, and a
 * file is read only if the project includes it (an HTTP project reads
 * none of the queue consumers' files).
 */
describe("render's reads of the templates folder", () => {
  it("lists each folder once and reads no file the project leaves out", () => {
    listed.length = read.length = 0;
    const tree = render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator", router: "stdlib" } } as never));
    expect(tree.has("orchestrator/internal/kinesisconsumer/lease.go")).toBe(false);
    const twice = listed.filter((dir, i) => listed.indexOf(dir) !== i);
    expect(twice).toEqual([]);
    expect(read.filter((path) => path.includes("kinesisconsumer/") || path.includes("sqsconsumer/"))).toEqual([]);
    // The spies see render's reads: it read the HTTP project's own files.
    expect(read.some((path) => path.startsWith("go-orchestrator/internal/httpapi/"))).toBe(true);
  });
});
