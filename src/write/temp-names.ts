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
