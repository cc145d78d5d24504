/**
 * "Did you mean": the known name closest to a misspelt one. Hand-written (a dozen lines): the
 * names compared are a CRD object's fields or the rule matchers, a handful each.
 *
 * @module
 */

/** The candidate closest to `word` (case-insensitive edit distance), when close enough to be a typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [c, d]
  }
  // A typo: a few edits, and fewer than half the word's letters.
  return best !== undefined && bestDistance <= Math.max(1, Math.min(3, Math.floor(word.length / 2))) ? best : undefined
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}
