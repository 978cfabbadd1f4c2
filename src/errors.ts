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
    super(`${field}: ${describe(value)} is not valid; ${allowed}`);
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
