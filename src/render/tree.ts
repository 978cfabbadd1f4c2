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
