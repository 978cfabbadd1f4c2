import { readFileSync } from "node:fs";

/**
 * A UTF-8 text file the user may have saved with another editor. Windows
 * PowerShell (Set-Content, Out-File) and Notepad's "UTF-8 with BOM" put a
 * byte order mark first; it carries no meaning in UTF-8 and JSON.parse
 * rejects it, so it is dropped here, in the one place user JSON is read.
 */
export function readUserText(path: string): string {
  return stripBom(readFileSync(path, "utf8"));
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
