// "Did you mean …?": the names nearest a mistyped one, by edit distance
// (fastest-levenshtein). Every suggestion vk makes comes from here.

import { distance } from 'fastest-levenshtein';

/** The candidate nearest a typo (edit distance ≤ 2, case-insensitive, or a prefix either way), if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = c.startsWith(word) || word.startsWith(c) ? 1 : distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= 2 ? best : undefined;
}

/** The `max` inventory paths nearest `wanted`, compared whole and by their last component. */
export function closestPaths(wanted: string, paths: readonly string[], max = 3): string[] {
  const leaf = (p: string) => p.slice(p.lastIndexOf('/') + 1).toLowerCase();
  const w = wanted.toLowerCase();
  const score = (p: string) => Math.min(distance(w, p.toLowerCase()), distance(leaf(w), leaf(p)) + 1);
  return [...paths]
    .map((p) => ({ p, d: score(p) }))
    .sort((a, b) => a.d - b.d || a.p.localeCompare(b.p))
    .slice(0, max)
    .map((x) => x.p);
}
