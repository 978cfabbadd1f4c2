/**
 * The path to the first own `__proto__` key anywhere in parsed JSON, if any.
 * JSON.parse keeps it as an ordinary key, but it is never a key of ours, and
 * it vanishes without a trace wherever it is copied by assignment (which sets
 * the copy's prototype instead) or read by zod's records (which skip it): a
 * user's `{"__proto__": {"docker": false}}` must be reported, not lost.
 */
export function protoKeyPath(value: unknown, path: PropertyKey[] = []): PropertyKey[] | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (!Array.isArray(value) && Object.hasOwn(value, "__proto__")) return path;
  for (const [key, child] of Object.entries(value)) {
    const found = protoKeyPath(child, [...path, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  return undefined;
}
