import { isAbsolute, relative, sep } from "node:path";

/**
 * A folder as the tool names it to the user (`Created X`, `cd X`, a report's
 * heading): relative to where they are when it lies below (or is an ancestor,
 * `..`), else absolute. Always relative, `/tmp/app` created from a checkout
 * read `cd ../../tmp/app`, a path the user never typed and that is right only
 * from that one folder.
 */
export function shownPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  if (rel === "") return ".";
  const parts = rel.split(sep);
  const climbs = parts[0] === "..";
  const ancestor = parts.every((p) => p === "..");
  return isAbsolute(rel) || (climbs && !ancestor) ? path : rel;
}
