/**
 * Traefik's Accept-Encoding negotiation for compress: the highest weight wins; equal weights go
 * to the server's order (`*` first, then `encodings`, identity last), not the client's; q=0 or an
 * unparsable weight removes a coding; `*` means defaultEncoding (else the first encoding).
 * Nothing acceptable means no compression (never a 406).
 *
 * @module
 */

export const IDENTITY = 'identity'
export const NOT_ACCEPTABLE = 'not_acceptable'

/** The coding to answer with: one of `encodings`, IDENTITY or NOT_ACCEPTABLE. */
export function negotiateEncoding(acceptEncoding: string, encodings: readonly string[], defaultEncoding: string): string {
  // An empty Accept-Encoding field asks for no content coding (RFC 9110).
  if (acceptEncoding === '') return IDENTITY
  const priority = new Map<string, number>(encodings.map((e, i) => [e, i]))
  priority.set(IDENTITY, encodings.length)
  priority.set('*', -1)
  const accepted: Array<{ type: string; weight: number }> = []
  for (const item of acceptEncoding.replaceAll(' ', '').split(',')) {
    const semi = item.indexOf(';')
    const type = semi < 0 ? item : item.slice(0, semi)
    if (!priority.has(type)) continue
    let weight = 1
    const param = semi < 0 ? '' : item.slice(semi + 1)
    if (param.startsWith('q=')) {
      // Go's ParseFloat: an invalid weight reads as 0, which drops the coding.
      const text = param.slice(2)
      const w = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : 0
      if (w === 0) continue
      weight = w
    }
    accepted.push({ type, weight })
  }
  if (accepted.length === 0) return NOT_ACCEPTABLE
  accepted.sort((a, b) => (a.weight === b.weight ? priority.get(a.type)! - priority.get(b.type)! : b.weight - a.weight))
  const best = accepted[0]!.type
  if (best === '*') return defaultEncoding || encodings[0]!
  return best
}
