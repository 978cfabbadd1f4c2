/**
 * A JSON object, not an array or null: the only value the manifest's
 * defaulting steps may spread into a copy. Spread, an array or a string
 * becomes an object keyed "0", "1", ..., which the schema then reports as
 * unknown keys instead of the wrong type the user wrote.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
