import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A small seeded PRNG (mulberry32): the same seed replays the same case. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

/** What a user did to one file, kept so the outcome can be checked. */
export interface UserEdit {
  path: string;
  kind: "add" | "change" | "remove" | "delete";
  /** A line the user wrote (add, change), unique in the whole repo. */
  wrote?: string;
  /** A line the user took out (change, remove), unique in the file they edited. */
  tookOut?: string;
  /** The file as the user left it. */
  after?: string;
}

/** Files a team edits: CI, the Makefile, compose, README, Go and Rust sources. */
export const EDITABLE = /(^\.github\/workflows\/|^\.gitlab-ci\.yml$|^Makefile$|^docker-compose\.yml$|^README\.md$|\.go$|\.rs$)/;

export function applyRandomEdit(dir: string, candidates: string[], r: Rng, tag: string): UserEdit | undefined {
  const path = r.pick(candidates);
  const file = join(dir, path);
  if (!existsSync(file)) return undefined;
  const kind = r.pick(["add", "add", "change", "remove", "delete"] as const);
  if (kind === "delete") {
    rmSync(file);
    return { path, kind };
  }
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  const wrote = `${commentFor(path)} user edit ${tag}`;
  if (kind === "add") {
    lines.splice(r.int(lines.length), 0, wrote);
    return write(file, { path, kind, wrote }, lines);
  }
  // change/remove target a line that occurs once, so "is it gone" is decidable.
  const unique = lines
    .map((l, i) => [l, i] as const)
    .filter(([l]) => l.trim() !== "" && !l.includes("user edit") && lines.indexOf(l) === lines.lastIndexOf(l));
  if (unique.length === 0) return undefined;
  const [tookOut, at] = r.pick(unique);
  if (kind === "change") lines.splice(at, 1, wrote);
  else lines.splice(at, 1);
  return write(file, { path, kind, tookOut, ...(kind === "change" ? { wrote } : {}) }, lines);
}

function write(file: string, edit: UserEdit, lines: string[]): UserEdit {
  const after = lines.join("\n");
  writeFileSync(file, after);
  return { ...edit, after };
}

function commentFor(path: string): string {
  return /\.(go|rs)$/.test(path) ? "//" : "#";
}

export const count = (text: string, line: string) => text.split("\n").filter((l) => l === line).length;
