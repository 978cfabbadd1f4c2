import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
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
  /**
   * add/change/remove a line; delete the file; crlf: re-save it with CRLF
   * line endings; mode: flip its executable bit; binary: re-save it as
   * UTF-16 (what Windows PowerShell does), which git treats as binary.
   */
  kind: "add" | "change" | "remove" | "delete" | "crlf" | "mode" | "binary";
  /** A line the user wrote (add, change), unique in the whole repo. */
  wrote?: string;
  /** A line the user took out (change, remove), unique in the file they edited. */
  tookOut?: string;
  /** The mode the user set (mode). */
  mode?: number;
  /** The file as the user left it. */
  after?: Buffer;
}

/** Files a team edits: CI, the Makefile, compose, README, scripts, Go and Rust sources. */
export const EDITABLE = /(^\.github\/workflows\/|^\.gitlab-ci\.yml$|^Makefile$|^docker-compose\.yml$|^README\.md$|^scripts\/|\.go$|\.rs$)/;

const KINDS = ["add", "add", "change", "remove", "delete", "crlf", "mode", "binary"] as const;

/** UTF-16LE with a byte-order mark: the bytes start FF FE. */
export const isUtf16 = (content: Buffer) => content[0] === 0xff && content[1] === 0xfe;

export function applyRandomEdit(dir: string, candidates: string[], r: Rng, tag: string): UserEdit | undefined {
  const path = r.pick(candidates);
  const file = join(dir, path);
  if (!existsSync(file)) return undefined;
  const kind = r.pick(KINDS);
  const bytes = readFileSync(file);
  if (isUtf16(bytes)) return undefined; // re-saved as binary: the user edits it no further here
  if (kind === "delete") {
    rmSync(file);
    return { path, kind };
  }
  if (kind === "mode") {
    const mode = statSync(file).mode & 0o111 ? 0o644 : 0o755;
    chmodSync(file, mode);
    return { path, kind, mode, after: bytes };
  }
  const text = bytes.toString("utf8");
  // Edits keep the file's line endings, as an editor does.
  const eol = /\r\n/.test(text) && !/(^|[^\r])\n/.test(text) ? "\r\n" : "\n";
  const lines = text.split(eol);
  if (kind === "crlf") return write(file, { path, kind }, Buffer.from(lines.join("\n").replace(/\r?\n/g, "\r\n")));
  if (kind === "binary") return write(file, { path, kind }, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
  const wrote = `${commentFor(path)} user edit ${tag}`;
  if (kind === "add") {
    lines.splice(r.int(lines.length), 0, wrote);
    return write(file, { path, kind, wrote }, Buffer.from(lines.join(eol)));
  }
  // change/remove target a line that occurs once, so "is it gone" is decidable.
  const unique = lines
    .map((l, i) => [l, i] as const)
    .filter(([l]) => l.trim() !== "" && !l.includes("user edit") && lines.indexOf(l) === lines.lastIndexOf(l));
  if (unique.length === 0) return undefined;
  const [tookOut, at] = r.pick(unique);
  if (kind === "change") lines.splice(at, 1, wrote);
  else lines.splice(at, 1);
  return write(file, { path, kind, tookOut, ...(kind === "change" ? { wrote } : {}) }, Buffer.from(lines.join(eol)));
}

function write(file: string, edit: UserEdit, after: Buffer): UserEdit {
  writeFileSync(file, after);
  return { ...edit, after };
}

function commentFor(path: string): string {
  return /\.(go|rs)$/.test(path) ? "//" : "#";
}

export const count = (text: string, line: string) => text.split("\n").filter((l) => l === line).length;

/**
 * What a user does about a conflict sync left: drop the marker lines
 * (keeping both sides), or take what they need from FILE.generated and
 * delete it.
 */
export function resolveConflict(dir: string, path: string): void {
  const beside = join(dir, `${path}.generated`);
  if (existsSync(beside)) {
    rmSync(beside);
    return;
  }
  const file = join(dir, path);
  const text = readFileSync(file, "utf8");
  let inside = false;
  const kept = text.split("\n").filter((line) => {
    const bare = line.replace(/\r$/, "");
    if (bare === `<<<<<<< ${path} (yours)`) return !(inside = true);
    if (inside && bare === "=======") return false;
    if (bare === `>>>>>>> ${path} (newly generated)`) return (inside = false);
    return true;
  });
  writeFileSync(file, kept.join("\n"));
}
