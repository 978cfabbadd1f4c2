/** A rendered repo: relative POSIX path → file. Nothing here touches disk. */
export interface FileEntry {
  content: Buffer;
  /** 0o755 for scripts, 0o644 otherwise. */
  mode: number;
}

export type FileTree = Map<string, FileEntry>;

export function sortedPaths(tree: FileTree): string[] {
  return [...tree.keys()].sort();
}

/** The same tree in path order, the order every consumer (write, ledger, golden) relies on. */
export function sortTree(tree: FileTree): FileTree {
  return new Map([...tree.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
