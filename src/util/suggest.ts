import { distance } from 'fastest-levenshtein';

/**
 * "Did you mean": the candidates close to `name`, closest first (ties by name), at most `max`.
 * Close means, ignoring case, within max(2, ⌈length/3⌉) edits, or one name containing the other
 * when the contained one has 3+ characters (`revenu` → `revenue_by_country`). Nothing close gives
 * an empty list: a far-off guess misleads more than no guess.
 */
export function suggest(name: string, candidates: Iterable<string>, { max = 3 }: { max?: number } = {}): string[] {
  const q = name.toLowerCase();
  const limit = Math.max(2, Math.ceil(q.length / 3));
  const contains = (a: string, b: string) => b.length >= 3 && a.includes(b);
  return [...new Set(candidates)]
    .map((n) => ({ n, l: n.toLowerCase() }))
    .map((x) => ({ ...x, d: distance(q, x.l) }))
    .filter(({ l, d }) => d <= limit || contains(l, q) || contains(q, l))
    .sort((a, b) => a.d - b.d || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .slice(0, max)
    .map(({ n }) => n);
}

/** `did you mean 'a', 'b'?` for a fix hint, or undefined when there is nothing to suggest. */
export const didYouMean = (names: readonly string[]): string | undefined =>
  names.length > 0 ? `did you mean ${names.map((n) => `'${n}'`).join(', ')}?` : undefined;
