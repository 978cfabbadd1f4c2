import type { Ledger } from "./ledger.js";

/**
 * Whether the snapshot ref's tip records another generation than the
 * checked-out ledger. After a sync the two name the same files, and the
 * same blobs except where a conflict is still open (its record keeps the
 * version it was left against). They part when the work tree goes back
 * to a commit made before the last sync (`git reset --hard`, a checkout of
 * an older branch): the ledger in that commit is the record of what was
 * generated there, and sync merges against it; the ref still holds the
 * later tree, so `git diff <ref>` would show the team edits that are not
 * theirs. Sync then records the ledger's tree on the ref again.
 */
export function snapshotStale(ledger: Ledger, onRef: Map<string, string>): boolean {
  const paths = Object.keys(ledger.files);
  if (paths.length !== onRef.size) return true;
  return paths.some((path) => {
    const entry = ledger.files[path]!;
    const blob = onRef.get(path);
    return blob === undefined || (entry.conflict === undefined && blob !== entry.blob);
  });
}
