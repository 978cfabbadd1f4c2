import type { Manifest } from "../manifest.js";
import { comparable, inStyle, type LineEnding } from "./eol.js";
import { storedForm, type DiskEntry } from "./plan.js";

/**
 * hybrid-backend.json and the ledger are files of the repo like the
 * generated ones, so they get the same handling: compared in the stored form
 * git would commit and in LF (a CRLF or re-encoded checkout is not a
 * change), and written in the file's own line-ending style, through git's
 * checkout form (applySync). Otherwise a sync with nothing to do rewrites
 * them and git reports them modified in every autocrlf or eol=crlf clone.
 */

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** hybrid-backend.json as sync writes it (stored form: UTF-8, LF). */
export function manifestBytes(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}

export interface RecordFile {
  /** Whether the file's content (stored form, LF, any UTF-8 BOM aside) differs from next. */
  changed: boolean;
  /** The line-ending style to write next in: the file's own. */
  style: LineEnding;
  /** next in that style, to be written (in git's checkout form, by applySync). */
  content: Buffer;
}

/**
 * A record file on disk against the bytes sync would write. A UTF-8 BOM
 * alone is no change: the file is read without it (readUserText), and sync
 * rewrites it, without one, only when its content changes.
 */
export function recordFile(onDisk: DiskEntry | undefined, next: Buffer): RecordFile {
  if (!onDisk) return { changed: true, style: "lf", content: next };
  const stored = storedForm(onDisk);
  const bare = stored.subarray(0, 3).equals(UTF8_BOM) ? stored.subarray(3) : stored;
  const { content, style } = comparable(bare, next);
  return { changed: !content.equals(next), style, content: inStyle(next, style) };
}
