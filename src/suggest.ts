/**
 * "Did you mean" for mistyped option and command words. Own code rather than
 * a dependency: it is one textbook dynamic programme over words of a few
 * letters, and the CLI is a single bundle that starts on every `npm create`.
 */
export function nearest(word: string, candidates: readonly string[], tolerance = typoTolerance): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= tolerance(best) ? best : undefined;
}

/** Close enough to be a typo: one edit per three letters, none for words under four letters. */
export function typoTolerance(candidate: string): number {
  return candidate.length < 4 ? 0 : Math.floor(candidate.length / 3);
}

/**
 * For a word that would otherwise be a project name: one edit only, so
 * names like `docker` or `app` stay names while `valdate` is caught.
 */
export function oneTypo(candidate: string): number {
  return candidate.length < 4 ? 0 : 1;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
