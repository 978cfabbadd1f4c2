import { UsageError } from "./errors.js";

/**
 * The deepest nesting of objects and arrays accepted in a JSON file the user
 * gives us (hybrid-backend.json, a --config file, the ledger). Every later
 * step walks that JSON recursively (the schema's parse, the error that
 * quotes a value, structuredClone, JSON.stringify), and a file nested some
 * thousands of levels deep overflowed the stack in one of them ("Maximum
 * call stack size exceeded", reported as a bug) instead of being refused.
 * The manifest's schema nests 4 levels (ci.actions.NAME.ref), the ledger one
 * more (it holds the manifest): 32 leaves room for the schema to grow and is
 * still far below any depth a recursive walk could not take.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * How deep value nests (a scalar: 0, {} or []: 1) and the top-level key or
 * index the deepest point is under. Iterative, so it measures any depth
 * JSON.parse (itself iterative in V8) can return.
 */
export function jsonDepth(value: unknown): { depth: number; under?: PropertyKey } {
  let deepest: { depth: number; under?: PropertyKey } = { depth: 0 };
  const stack: { value: unknown; depth: number; under?: PropertyKey }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, depth, under } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > deepest.depth) deepest = { depth: depth + 1, under };
    for (const [key, child] of Object.entries(v)) {
      stack.push({ value: child, depth: depth + 1, under: depth === 0 ? (Array.isArray(v) ? Number(key) : key) : under });
    }
  }
  return deepest;
}

/**
 * Refuses JSON nested deeper than MAX_JSON_DEPTH, naming the file (as the
 * field: "hybrid-backend.json", "--config answers.json") and the depth.
 * Called right after JSON.parse, before anything walks the value.
 */
export function checkJsonDepth(value: unknown, file: string): void {
  const { depth, under } = jsonDepth(value);
  if (depth <= MAX_JSON_DEPTH) return;
  const where = under === undefined ? "" : ` (the deepest part is under ${typeof under === "number" ? `[${under}]` : JSON.stringify(under)})`;
  throw new UsageError(
    `${file} nesting depth`,
    depth,
    `objects and arrays may nest at most ${MAX_JSON_DEPTH} levels deep (the manifest itself nests 4)${where}`,
  );
}
