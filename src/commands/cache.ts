import { CAP_ENV, cacheCap, cacheDir, formatSize } from "../cache/dir.js";
import { cleanAll, listEntries, type Entry } from "../cache/entries.js";
import { EXIT, UsageError } from "../errors.js";
import { human } from "../human.js";

export const CACHE_ACTIONS = ["info", "clean"] as const;

/** `cache info`: where the cache lives, its size and entries; `cache clean`: delete it all. */
export async function runCache(action: string, opts: { json: boolean }): Promise<number> {
  if (!(CACHE_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError("cache", action, `use: cache ${CACHE_ACTIONS.join(" | cache ")}`);
  }
  const cap = cacheCap();
  const dir = cacheDir();
  if (action === "clean") {
    const removed = cleanAll(dir);
    const bytes = total(removed);
    if (opts.json) console.log(JSON.stringify({ dir, removed: removed.map(toJson), bytes }, null, 2));
    else console.log(`Removed ${removed.length} ${removed.length === 1 ? "entry" : "entries"} (${formatSize(bytes)}) from ${human`${dir}`}`);
    return EXIT.ok;
  }
  const entries = listEntries(dir);
  if (opts.json) {
    console.log(JSON.stringify({ dir, capBytes: cap, bytes: total(entries), entries: entries.map(toJson) }, null, 2));
    return EXIT.ok;
  }
  console.log(human`Cache: ${dir}`);
  console.log(`Size:  ${formatSize(total(entries))} in ${entries.length} ${entries.length === 1 ? "entry" : "entries"}; cap ${formatSize(cap)} (${CAP_ENV})`);
  if (entries.length) {
    console.log("\n  kind        size        last used          entry (least recently used first: removed first)");
    for (const e of entries) {
      console.log(`  ${e.kind.padEnd(10)}  ${formatSize(e.bytes).padStart(10)}  ${stamp(e.lastUsed)}  ${e.name}${e.label ? `  ${JSON.stringify(e.label).slice(1, -1)}` : ""}`);
    }
  }
  return EXIT.ok;
}

function total(entries: Entry[]): number {
  return entries.reduce((sum, e) => sum + e.bytes, 0);
}

function toJson(e: Entry) {
  return { name: e.name, path: e.path, kind: e.kind, ...(e.label ? { label: e.label } : {}), bytes: e.bytes, lastUsed: e.lastUsed.toISOString() };
}

/** Local time, to the minute: "2026-11-30 01:23". */
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
