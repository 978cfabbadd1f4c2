import type { FileEntry, FileTree } from "../../src/render/index.js";
import { blobId, type Ledger } from "../../src/sync/ledger.js";
import { mergeFile } from "../../src/sync/merge.js";
import type { planSync } from "../../src/sync/plan.js";

export const file = (text: string, mode = 0o644): FileEntry => ({ content: Buffer.from(text), mode });
export const lines = (...l: string[]) => `${l.join("\n")}\n`;

/**
 * planSync's input for an in-memory repo: base = what was last generated (in
 * the ledger, its blobs stored unless basesLost), disk = the team's files,
 * next = the new render.
 */
export function syncInput(
  base: Record<string, string>,
  disk: Record<string, string>,
  next: Record<string, string>,
  { basesLost = false } = {},
): Parameters<typeof planSync>[0] {
  const ledger: Ledger = {
    generator: "0.1.0",
    manifest: {} as Ledger["manifest"],
    files: Object.fromEntries(Object.entries(base).map(([p, t]) => [p, { blob: blobId(Buffer.from(t)), mode: 0o644 }])),
  };
  const blobs = new Map(Object.values(base).map((t) => [blobId(Buffer.from(t)), Buffer.from(t)]));
  const tree: FileTree = new Map(Object.entries(next).map(([p, t]) => [p, file(t)]));
  return {
    next: tree,
    ledger,
    disk: (p) => (p in disk ? file(disk[p]!) : undefined),
    exists: (p) => p in disk,
    base: (id) => (basesLost ? undefined : blobs.get(id)),
    merge: mergeFile,
  };
}
