import { parseRecordedManifest } from "../manifest-migrations.js";
import { render } from "../render/index.js";
import { readBatch } from "../write/worktree.js";
import { blobId, managedFiles, type Ledger } from "./ledger.js";

/**
 * Where merge bases come from, in order: git's object store (the initial
 * commit, any commit since, and the snapshot commits sync keeps, see
 * write/snapshot.ts), then a re-render of the recorded manifest, accepted only for
 * files whose blob id matches the ledger. A base found nowhere stays missing
 * and sync falls back to a whole-file conflict, never a guess.
 */
export async function loadBases(dir: string, ledger: Ledger, wanted: string[]): Promise<Map<string, Buffer>> {
  const bases = await fromGit(dir, wanted);
  const missing = wanted.filter((id) => !bases.has(id));
  if (missing.length > 0) for (const [id, content] of fromRerender(ledger, missing)) bases.set(id, content);
  return bases;
}

async function fromGit(dir: string, ids: string[]): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  // Only content that hashes to the id asked for is a base.
  for (const [id, content] of await readBatch(dir, ids)) if (blobId(content) === id) found.set(id, content);
  return found;
}

function fromRerender(ledger: Ledger, ids: string[]): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  let tree;
  try {
    tree = managedFiles(render(parseRecordedManifest(ledger.manifest, "the ledger's manifest").manifest));
  } catch {
    return found; // the recorded manifest no longer parses under this version
  }
  const wanted = new Set(ids);
  for (const entry of tree.values()) {
    const id = blobId(entry.content);
    if (wanted.has(id)) found.set(id, entry.content);
  }
  return found;
}
