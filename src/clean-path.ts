/**
 * The one rule for a path the tool reads, writes or deletes inside a
 * repository: a clean relative POSIX path, as git stores it in a tree.
 * Paths come from the ledger (a file anyone can edit, or craft in a pull
 * request), from the render and from the manifest; "../victim.txt" in the
 * ledger once made sync delete a file outside the repository. Checked where
 * the ledger is read (ledger.ts) and again where the disk is touched
 * (write/repo-path.ts), so no source of paths can bypass it.
 */
export const CLEAN_PATH_RULE =
  "a path relative to the repository's root, its parts separated by /: not absolute, no empty, . or .. part, no backslash or control character, and nothing in .git";

/** Control characters: C0, DEL, C1. No generated file has one; a NUL would cut the path short in C code (git). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A .git folder under another name: git itself refuses these in a tree
 * (core.protectNTFS / protectHFS): any case (.GIT on a case-insensitive
 * disk), trailing dots or spaces (dropped by Windows), the 8.3 name GIT~1.
 */
const GIT_DIR = /^(\.git[. ]*|git~1)$/i;

/** Why path is not clean (one short phrase), or undefined when it is. */
export function pathFault(path: string): string | undefined {
  if (path === "") return "it is empty";
  if (CONTROL.test(path)) return "it holds a control character";
  if (path.includes("\\")) return "it holds a backslash";
  if (path.startsWith("/")) return "it is absolute";
  // C:foo / C:\foo: a drive on Windows, whatever follows.
  if (/^[A-Za-z]:/.test(path)) return "it starts with a drive letter";
  for (const part of path.split("/")) {
    if (part === "") return "it has an empty part (// or a trailing /)";
    if (part === "." || part === "..") return `it has a ${part} part`;
    if (GIT_DIR.test(part)) return "it is in the .git folder";
  }
  return undefined;
}
