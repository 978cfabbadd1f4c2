import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { enclosingGeneratedRepo } from "../inside-repo.js";
import { checkJsonDepth } from "../json-depth.js";
import { MANIFEST_FILE } from "../manifest.js";
import { stripBom } from "../user-file.js";
import { LEDGER_FILE, blobId, parseLedger, type Ledger } from "../sync/ledger.js";
import { readEntry } from "./repo-path.js";
import { storedForms, type Worktree } from "./worktree.js";

const USE_A_REPO = "use a repo made by create-hybrid-backend";

/**
 * The folder a repo command (validate, sync, add, remove) was pointed at, checked before
 * anything runs in it: git and the builds start there, and a file or a missing folder
 * would fail them with a spawn error (ENOTDIR) rather than name the argument.
 */
export function checkRepoDir(dir: string): void {
  let folder: boolean;
  try {
    folder = statSync(dir).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError("directory", dir, `it does not exist; ${USE_A_REPO}`);
    if (code === "ENOTDIR") throw new UsageError("directory", dir, `a folder on its path is a file; ${USE_A_REPO}`);
    throw new UsageError("directory", dir, `it cannot be read (${code ?? String(err)}); ${USE_A_REPO}`);
  }
  if (!folder) throw new UsageError("directory", dir, `it is not a folder; ${USE_A_REPO}`);
}

/** A generated repo's two records, read and checked before anything changes. */
export interface RepoRecords {
  manifestText: string;
  manifestJson: unknown;
  ledger: Ledger;
}

/** A record's text, and git's message when it could not give the file's stored form. */
interface RecordText {
  text: string;
  unconverted?: string;
}

/**
 * The records' text as git would store it, the form sync writes them from
 * (applySync checks them out like every generated file): a
 * working-tree-encoding (UTF-16) decoded, CRLF as LF. Read as raw bytes,
 * such a manifest failed to parse. A UTF-8 BOM is dropped (see
 * readUserText); sync rewrites the file, without one, only when its content
 * changes. Like a generated file, a record that is a symbolic link or not a
 * file is refused (readEntry). Absent files are left out.
 */
async function readRecordTexts(dir: string, worktree: Worktree | undefined, paths: string[]): Promise<Map<string, RecordText>> {
  const bytes = new Map<string, Buffer>();
  for (const path of paths) {
    let entry;
    try {
      entry = readEntry(dir, path);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(path, dir, `cannot read it (${(err as NodeJS.ErrnoException).code}); it must be a JSON file`);
    }
    if (entry) bytes.set(path, entry.content);
  }
  const stored = worktree ? await storedForms(worktree, bytes, blobId) : undefined;
  const texts = new Map<string, RecordText>();
  for (const [path, raw] of bytes) {
    const text = stripBom((stored?.forms.get(path) ?? raw).toString("utf8"));
    const unconverted = stored?.failed.get(path);
    texts.set(path, unconverted ? { text, unconverted } : { text });
  }
  return texts;
}

/**
 * Why dir is no generated repo. Run from one of its folders (workers/,
 * orchestrator/), as people run git, the answer "use a repo made by
 * create-hybrid-backend" did not say that the repo was one folder up: the
 * nearest folder above that holds the manifest is named.
 */
export function noManifest(dir: string, shown: string = dir): UsageError {
  const root = enclosingGeneratedRepo(dirname(resolve(dir)));
  const next = root ? `the repo is ${root}: run there, or give it as the [dir] argument` : USE_A_REPO;
  return new UsageError("directory", shown, `it has no ${MANIFEST_FILE}; ${next}`);
}

/**
 * hybrid-backend.json's text and JSON, or a UsageError saying why this is
 * not such a repo. worktree: the git work tree holding dir, whose
 * attributes shape the file (worktree.ts locate); none reads the bytes.
 */
export async function readManifestFile(dir: string, worktree: Worktree | undefined, shown: string = dir): Promise<{ text: string; json: unknown }> {
  const found = (await readRecordTexts(dir, worktree, [MANIFEST_FILE])).get(MANIFEST_FILE);
  if (!found) throw noManifest(dir, shown);
  return { text: found.text, json: parseManifestText(found) };
}

function parseManifestText({ text, unconverted }: RecordText): unknown {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(MANIFEST_FILE, firstLine(text), `it is not valid JSON (${(err as Error).message})${gitSaid(unconverted)}`);
  }
  checkJsonDepth(json, MANIFEST_FILE);
  return json;
}

/** The manifest and the ledger, both read as git would store them (readRecordTexts). */
export async function readRecords(dir: string, worktree: Worktree | undefined): Promise<RepoRecords> {
  const texts = await readRecordTexts(dir, worktree, [MANIFEST_FILE, LEDGER_FILE]);
  const manifest = texts.get(MANIFEST_FILE);
  if (!manifest) throw noManifest(dir, dir);
  const manifestJson = parseManifestText(manifest);
  const ledgerText = texts.get(LEDGER_FILE);
  if (!ledgerText) {
    throw new UsageError(LEDGER_FILE, undefined, "sync needs the record create wrote; restore it, e.g. git checkout -- .hybrid-backend/ledger.json");
  }
  let ledger: Ledger;
  try {
    ledger = parseLedger(ledgerText.text);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(LEDGER_FILE, "(damaged)", `${(err as Error).message}${gitSaid(ledgerText.unconverted)}; restore it from git`);
  }
  return { manifestText: manifest.text, manifestJson, ledger };
}

/** Why the bytes were read as they are, when git could not convert them. */
function gitSaid(unconverted: string | undefined): string {
  return unconverted ? `; git could not convert it to the form it stores, so its bytes were read as they are (git: ${unconverted})` : "";
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.slice(0, 60);
}
