import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { MANIFEST_FILE } from "../manifest.js";
import { LEDGER_FILE, parseLedger, type Ledger } from "../sync/ledger.js";

/** A generated repo's two records, read and checked before anything changes. */
export interface RepoRecords {
  manifestText: string;
  manifestJson: unknown;
  ledger: Ledger;
}

export function readRecords(dir: string): RepoRecords {
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new UsageError("directory", dir, `it has no ${MANIFEST_FILE}; run this in a repo made by create-hybrid-backend`);
  }
  const manifestText = readFileSync(manifestPath, "utf8");
  let manifestJson: unknown;
  try {
    manifestJson = JSON.parse(manifestText);
  } catch (err) {
    throw new UsageError(MANIFEST_FILE, firstLine(manifestText), `it is not valid JSON (${(err as Error).message})`);
  }
  const ledgerPath = join(dir, LEDGER_FILE);
  if (!existsSync(ledgerPath)) {
    throw new UsageError(LEDGER_FILE, undefined, "sync needs the record create wrote; restore it, e.g. git checkout -- .hybrid-backend/ledger.json");
  }
  let ledger: Ledger;
  try {
    ledger = parseLedger(readFileSync(ledgerPath, "utf8"));
  } catch (err) {
    throw new UsageError(LEDGER_FILE, "(damaged)", `${(err as Error).message}; restore it from git`);
  }
  return { manifestText, manifestJson, ledger };
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0]!.slice(0, 60);
}
