/**
 * The path to the first own `__proto__` key anywhere in parsed JSON, if any.
 * JSON.parse keeps it as an ordinary key, but it is never a key of ours, and
 * it vanishes without a trace wherever it is copied by assignment (which sets
 * the copy's prototype instead) or read by zod's records (which skip it): a
 * user's `{"__proto__": {"docker": false}}` must be reported, not lost.
 *
 * Iterative (an explicit stack, the path built only for the node found): it
 * runs on user JSON, which may nest deeper than the call stack reaches.
 */
export function protoKeyPath(value: unknown): PropertyKey[] | undefined {
  interface Node {
    value: unknown;
    key?: PropertyKey;
    parent?: Node;
  }
  const stack: Node[] = [{ value }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (v === null || typeof v !== "object") continue;
    if (!Array.isArray(v) && Object.hasOwn(v, "__proto__")) return pathOf(node);
    // Children pushed last-first, so the first key in the file is found first.
    const children = Object.entries(v);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i]!;
      stack.push({ value: child, key: Array.isArray(v) ? Number(key) : key, parent: node });
    }
  }
  return undefined;
}

function pathOf(node: { key?: PropertyKey; parent?: unknown }): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let n = node as { key?: PropertyKey; parent?: unknown } | undefined; n?.parent !== undefined; n = n.parent as typeof n) path.push(n.key!);
  return path.reverse();
}
