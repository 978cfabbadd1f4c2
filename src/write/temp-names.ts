/**
 * The names sync gives its temp files, beside the file each is for, with
 * the writing process's id in them: a file being staged (written, then
 * renamed into place) and a file set aside for removal (renamed back if
 * the run fails, deleted if it succeeds).
 */
export function stagedName(file: string, pid: number = process.pid): string {
  return `${file}.hybrid-backend-${pid}.tmp`;
}

export function asideName(file: string, pid: number = process.pid): string {
  return `${file}.hybrid-backend-${pid}.removing`;
}

/** Exactly the names above: anything else, however close, is not this tool's to touch. */
const TEMP_NAME = /^(.+)\.hybrid-backend-([1-9][0-9]{0,9})\.(tmp|removing)$/;

/** The file a temp name is for (its name in the same folder), the pid that made it, and whether it is a set-aside file. */
export function parseTempName(name: string): { original: string; pid: number; aside: boolean } | undefined {
  const match = TEMP_NAME.exec(name);
  if (!match) return undefined;
  return { original: match[1]!, pid: Number(match[2]), aside: match[3] === "removing" };
}
