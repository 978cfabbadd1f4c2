import { lstatSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { LEDGER_FILE } from "../sync/ledger.js";
import { removeEmptyFolders } from "./prune.js";
import { parseTempName, tempOwnerAlive } from "./temp-names.js";
import { realFolder } from "./real-folder.js";

/**
 * A sync killed where no signal can be held (kill -9, a power cut) leaves
 * what it staged: temp files beside their places, folders made to hold
 * only those, and files it had set aside for removal. The next writing run
 * clears them here, before it reads the work tree: a temp file whose pid
 * is no longer alive, or alive as another process (its name records which
 * process made it, boot id and start time, as a lock does), is deleted (one still alive is another run's, left
 * alone); a set-aside file goes back to its place, so the new run decides
 * about it afresh (if something is there by now, the set-aside copy goes:
 * sync sets aside only files unchanged since it generated them, so nothing
 * of the user's is lost). Then the folders that leaves empty.
 *
 * Where: every folder a generated file (the ledger's, the plan's, the
 * ledger itself) lies in, and below them any folder holding nothing but
 * dead temp files, which is what staging leaves where it had to make the
 * folders (a killed `add worker pricing` leaves workers/pricing/ that way,
 * and the next plain sync knows of no pricing files). Nothing is walked
 * through a symbolic link, into .git, or into a folder holding anything
 * else; only regular files matching the exact temp name are touched.
 *
 * Best effort: a leftover that cannot be removed is left, and the run
 * goes on (its own staging finds any permission problem that matters).
 */
export function removeStaleTemps(dir: string, paths: Iterable<string>): void {
  const folders = new Set<string>([""]);
  for (const path of [...paths, LEDGER_FILE]) {
    const parts = path.split("/").slice(0, -1);
    for (let depth = 1; depth <= parts.length; depth++) folders.add(parts.slice(0, depth).join("/"));
  }
  for (const folder of folders) {
    if (!realFolder(dir, folder)) continue;
    const here = join(dir, ...(folder ? folder.split("/") : []));
    for (const entry of list(here)) {
      const child = folder ? `${folder}/${entry.name}` : entry.name;
      if (entry.isFile()) settle(here, entry.name);
      else if (entry.isDirectory() && child !== ".git" && !folders.has(child)) {
        const debris = onlyDeadTemps(join(here, entry.name));
        for (const file of debris ?? []) attempt(() => rmSync(file));
        if (debris?.length) for (const file of debris) removeEmptyFolders(dir, relative(dir, join(file, "..")).split(sep).join("/"));
      }
    }
  }
}

/** A temp file of a run no longer alive: deleted, or (set aside for removal) put back where it was. */
function settle(folder: string, name: string): void {
  const temp = parseTempName(name);
  if (!temp || tempOwnerAlive(temp)) return;
  const file = join(folder, name);
  attempt(() => {
    if (temp.aside && !exists(join(folder, temp.original))) renameSync(file, join(folder, temp.original));
    else rmSync(file);
  });
}

/** The temp files under folder if it holds nothing else (folders included, recursively); undefined at the first other thing. */
function onlyDeadTemps(folder: string): string[] | undefined {
  const entries = list(folder);
  // Files first: a folder of the user's (or a build's) bails out here without being walked.
  const files: string[] = [];
  for (const entry of entries.filter((e) => !e.isDirectory())) {
    const temp = entry.isFile() ? parseTempName(entry.name) : undefined;
    if (!temp || temp.aside || tempOwnerAlive(temp)) return undefined;
    files.push(join(folder, entry.name));
  }
  for (const entry of entries.filter((e) => e.isDirectory())) {
    const inner = onlyDeadTemps(join(folder, entry.name));
    if (!inner) return undefined;
    files.push(...inner);
  }
  return files;
}


function list(folder: string) {
  try {
    return readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
}

function exists(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch {
    return false;
  }
}

function attempt(work: () => void): void {
  try {
    work();
  } catch {
    // best effort (see removeStaleTemps)
  }
}
