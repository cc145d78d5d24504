/**
 * Traefik's HTTPCodeRanges (types.NewHTTPCodeRanges): `"500"`, `"500-599"`, `"400,500-599"`.
 * Used by errors (status, statusRewrites) and retry (status).
 *
 * @module
 */

export type StatusRanges = Array<[number, number]>

/** Throws with the offending entry when one is not a code or a range of codes. */
export function parseStatusRanges(entries: string[]): StatusRanges {
  const ranges: StatusRanges = []
  for (const entry of entries) {
    for (const part of entry.split(',')) {
      const bounds = part.split('-')
      const from = atoi(bounds[0]!, entry)
      const to = bounds.length === 1 ? from : atoi(bounds[1]!, entry)
      ranges.push([from, to])
    }
  }
  return ranges
}

export function inRanges(ranges: StatusRanges, code: number): boolean {
  return ranges.some(([from, to]) => code >= from && code <= to)
}

/** Go's strconv.Atoi: optional sign and decimal digits, nothing else. */
function atoi(text: string, entry: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new Error(`invalid status code range ${JSON.stringify(entry)}: ${JSON.stringify(text)} is not a number`)
  return Number(text)
}
