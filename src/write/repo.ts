import { existsSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { checkJsonDepth } from "../json-depth.js";
import { MANIFEST_FILE } from "../manifest.js";
import { readUserText } from "../user-file.js";
import { LEDGER_FILE, parseLedger, type Ledger } from "../sync/ledger.js";

/** A generated repo's two records, read and checked before anything changes. */
export interface RepoRecords {
  manifestText: string;
  manifestJson: unknown;
  ledger: Ledger;
}

/** hybrid-backend.json's text and JSON, or a UsageError saying why this is not such a repo. */
export function readManifestFile(dir: string, shown: string = dir): { text: string; json: unknown } {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new UsageError("directory", shown, `it has no ${MANIFEST_FILE}; use a repo made by create-hybrid-backend`);
  }
  // A BOM is dropped (see readUserText); sync rewrites the file, without
  // one, only when its content changes.
  let text: string;
  try {
    text = readUserText(manifestPath);
  } catch (err) {
    throw new UsageError(MANIFEST_FILE, shown, `cannot read it (${(err as NodeJS.ErrnoException).code}); it must be a JSON file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(MANIFEST_FILE, firstLine(text), `it is not valid JSON (${(err as Error).message})`);
  }
  checkJsonDepth(json, MANIFEST_FILE);
  return { text, json };
}

export function readRecords(dir: string): RepoRecords {
  const { text: manifestText, json: manifestJson } = readManifestFile(dir);
  const ledgerPath = join(dir, LEDGER_FILE);
  if (!existsSync(ledgerPath)) {
    throw new UsageError(LEDGER_FILE, undefined, "sync needs the record create wrote; restore it, e.g. git checkout -- .hybrid-backend/ledger.json");
  }
  let ledger: Ledger;
  try {
    ledger = parseLedger(readUserText(ledgerPath));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(LEDGER_FILE, "(damaged)", `${(err as Error).message}; restore it from git`);
  }
  return { manifestText, manifestJson, ledger };
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.slice(0, 60);
}
