import { isAbsolute, relative, sep } from "node:path";

/**
 * A folder as the tool names it to the user (`Created X`, `cd X`, a report's
 * heading). Given as `typed` on the command line, it is shown as typed: a
 * relative one relative to where they are (`../my-app`, as this tool's own
 * README writes it, not `/home/me/my-app`), so `cd X` works from there, and an
 * absolute one absolute. A folder the tool found itself (an enclosing repo)
 * is relative when it lies below (or is an ancestor, `..`), else absolute:
 * always relative, `/tmp/app` found from a checkout read `../../tmp/app`, a
 * path the user never typed and that is right only from that one folder.
 */
export function shownPath(path: string, typed?: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  if (typed !== undefined) return isAbsolute(typed) || isAbsolute(rel) ? path : rel || ".";
  if (rel === "") return ".";
  const parts = rel.split(sep);
  const climbs = parts[0] === "..";
  const ancestor = parts.every((p) => p === "..");
  return isAbsolute(rel) || (climbs && !ancestor) ? path : rel;
}
