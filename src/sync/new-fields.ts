import type { Manifest } from "../manifest.js";
import { DEFAULT_TAKEN, type MigrationNotice } from "../manifest-migrations.js";
import type { FileTree } from "../render/index.js";

/**
 * A field an older manifest lacked takes this release's default (a
 * MigrationNotice without `from`). A value the older release wrote into a
 * file, and the team changed there, is one the field now renders: the
 * team's line survives the merge, so that file and every other one that
 * reads the field (compose, CI) would disagree without a word. Where the
 * field lands is found by rendering it once more with another value, so no
 * table of which template reads which field can go stale; a file whose line
 * there is not the default's render carries the team's own value, and the
 * notice names it.
 */
export function pinnedInFiles(
  notices: MigrationNotice[],
  manifest: Manifest,
  next: FileTree,
  /** The file's stored form when the team edited it (it differs from what the ledger records), else undefined. */
  edited: (path: string) => Buffer | undefined,
  render: (manifest: Manifest) => FileTree,
): MigrationNotice[] {
  return notices.map((notice) => {
    if (notice.from !== undefined) return notice;
    const probe = withValue(manifest, notice.field.split("."), `${notice.to}9`);
    if (!probe) return notice;
    const other = render(probe);
    const files = [...next].flatMap(([path, entry]): string[] => {
      const theirs = other.get(path);
      const ours = edited(path);
      if (!theirs || !ours || theirs.content.equals(entry.content)) return [];
      const lines = entry.content.toString("utf8").split("\n");
      const probed = theirs.content.toString("utf8").split("\n");
      if (probed.length !== lines.length) return [];
      const onDisk = new Set(ours.toString("utf8").split("\n"));
      return lines.some((line, i) => line !== probed[i] && !onDisk.has(line)) ? [path] : [];
    });
    if (files.length === 0) return notice;
    const which = files.length === 1 ? `${files[0]} has` : `${files.join(", ")} have`;
    const why = `${DEFAULT_TAKEN}, but ${which} your own value where this field now lands, which the merge keeps: set that value here, so every file that reads it agrees`;
    return { ...notice, why };
  });
}

/** The manifest with the string at path replaced, or undefined when path does not end at a string. */
function withValue(manifest: Manifest, path: string[], value: string): Manifest | undefined {
  const copy = structuredClone(manifest) as unknown as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (child === null || typeof child !== "object" || Array.isArray(child)) return undefined;
    node = child as Record<string, unknown>;
  }
  const last = path.at(-1)!;
  if (typeof node[last] !== "string") return undefined;
  node[last] = value;
  return copy as unknown as Manifest;
}
