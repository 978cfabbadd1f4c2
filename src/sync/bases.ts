import { execa } from "execa";
import { parseManifest } from "../manifest.js";
import { render } from "../render/index.js";
import { blobId, managedFiles, type Ledger } from "./ledger.js";

/**
 * Where merge bases come from, in order: git's object store (the initial
 * commit, any commit since, and the refs/hybrid-backend/generated snapshot
 * sync keeps), then a re-render of the recorded manifest, accepted only for
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
  if (ids.length === 0) return found;
  const result = await execa("git", ["cat-file", "--batch"], {
    cwd: dir,
    input: `${ids.join("\n")}\n`,
    encoding: "buffer",
    reject: false,
  });
  if (result.exitCode !== 0) return found; // not a git repo, or no git
  const out = Buffer.from(result.stdout);
  let at = 0;
  while (at < out.length) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break;
    const [id, type, size] = out.subarray(at, eol).toString("utf8").split(" ");
    at = eol + 1;
    if (type === "missing" || size === undefined) continue;
    const length = Number(size);
    const content = out.subarray(at, at + length);
    at += length + 1; // content is followed by a newline
    if (type === "blob" && id && blobId(content) === id) found.set(id, Buffer.from(content));
  }
  return found;
}

function fromRerender(ledger: Ledger, ids: string[]): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  let tree;
  try {
    tree = managedFiles(render(parseManifest(ledger.manifest)));
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
