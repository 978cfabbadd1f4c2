/**
 * Errors the CLI maps to exit codes. Every message is one line naming the
 * field, the offending value and what is allowed, so a user (or a CI log
 * reader) can fix the input without reading the source.
 */
export class UsageError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(escapeInvisible(`${field}: ${describe(value)} is not valid; ${allowed}`));
    this.name = "UsageError";
  }
}

/** A check the user asked for (validate, smoke) failed. */
export class ValidationFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValidationFailed";
  }
}

/**
 * C0/C1 controls (bar tab), DEL, zero-width and joiner characters, the LRM/RLM
 * marks, bidi embeddings, overrides and isolates, line/paragraph separators and
 * the byte order mark: characters that print as nothing (or reorder what
 * follows) and would make a quoted value in an error look valid or different.
 */
const INVISIBLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * Spells every invisible or control character as \u plus four hex digits (\u0007), so an error line
 * shows exactly what was typed (a BOM, a zero-width space, a newline) and
 * stays one line. Idempotent: its output is plain ASCII where it changed.
 */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The one line the CLI prints for an error, escaped. The machine's own
 * refusals (permissions, a full or read-only disk) are for the user to fix;
 * anything else is a bug of ours, so the line says to report it instead of
 * dumping a stack trace (HYBRID_BACKEND_DEBUG=1 adds the stack).
 */
export function errorLine(err: unknown, version: string): string {
  if (err instanceof UsageError) return `error: ${err.message}`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const environmental = typeof code === "string" && ENVIRONMENT_ERRORS.has(code);
  const hint = environmental
    ? ""
    : ` (unexpected: a bug in create-hybrid-backend ${version}; please report it with the output of the same command run with HYBRID_BACKEND_DEBUG=1)`;
  return escapeInvisible(`error: ${firstLine(err)}${hint}`);
}

/**
 * A failure under --json, for scripts: the shape of the reports (ok, exit)
 * with the error's parts, so a caller can read the field and value instead
 * of parsing the human line (which stderr still carries). Values are raw
 * here: JSON escapes them itself.
 */
export function errorJson(err: unknown, exit: number, version: string): string {
  const error =
    err instanceof UsageError
      ? { field: err.field, value: err.value, allowed: err.allowed, message: err.message }
      : { message: errorLine(err, version).replace(/^error: /, "") };
  return JSON.stringify({ ok: false, exit, error });
}

const ENVIRONMENT_ERRORS = new Set(["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "ENAMETOOLONG", "ELOOP", "EIO"]);

/** A failed subprocess (execa) names the command, then the tool's own last word on stderr. */
function firstLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err).split("\n", 1)[0]!;
  const { shortMessage, stderr } = err as Error & { shortMessage?: string; stderr?: unknown };
  if (typeof shortMessage === "string") {
    const said = typeof stderr === "string" ? stderr.trim().split("\n").at(-1) : undefined;
    return said ? `${shortMessage}: ${said}` : shortMessage;
  }
  return err.message.split("\n", 1)[0]!;
}

function describe(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (typeof value === "string") return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, drift: 3 } as const;
