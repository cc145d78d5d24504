/**
 * encodedCharacters: refuses (400, empty body) a request whose escaped path holds an encoded
 * character that servers behind may read differently (`%2F` `%5C` `%00` `%3B` `%25` `%3F` `%23`,
 * hex in either case as Traefik lists them), unless its allowEncoded* option is set; a `%` too
 * close to the end is refused too. Traefik runs the same check on every root router with the
 * entry point's options (every character refused by default): `entryPointDenial` is that check
 * for the edge's entry point (edge-worker/src/app.ts), configured by ALLOW_ENCODED_CHARACTERS.
 *
 * @module
 */
import type { EncodedCharacters } from '../../../../shared/dynamic/types.ts'
import type { Handler } from '../../request.ts'

const CHECKS: Array<[keyof EncodedCharacters, string[]]> = [
  ['allowEncodedSlash', ['%2F', '%2f']],
  ['allowEncodedBackSlash', ['%5C', '%5c']],
  ['allowEncodedNullCharacter', ['%00']],
  ['allowEncodedSemicolon', ['%3B', '%3b']],
  ['allowEncodedPercent', ['%25']],
  ['allowEncodedQuestionMark', ['%3F', '%3f']],
  ['allowEncodedHash', ['%23']],
]

export const ENCODED_CHARACTER_OPTIONS = CHECKS.map(([option]) => option)

function denied(config: EncodedCharacters | undefined): Set<string> {
  return new Set(CHECKS.filter(([option]) => config?.[option] !== true).flatMap(([, codes]) => codes))
}

/** Whether the escaped path holds a denied encoded character (Traefik's scan, `%` by `%`). */
function refused(path: string, deny: Set<string>): boolean {
  if (deny.size === 0) return false
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 3)) {
    if (i + 2 >= path.length || deny.has(path.slice(i, i + 3))) return true
  }
  return false
}

const badRequest = () => new Response(null, { status: 400 })

export function encodedCharacters(config: EncodedCharacters): (next: Handler) => Handler {
  const deny = denied(config)
  return (next) =>
    async function encodedCharacters(req) {
      return refused(req.path, deny) ? badRequest() : next(req)
    }
}

/**
 * The entry point's check, from ALLOW_ENCODED_CHARACTERS: a comma-separated list of the
 * options to allow (`allowEncodedSlash,allowEncodedSemicolon`; `*` for all), like Traefik's
 * `entryPoints.<name>.http.encodedCharacters`. Returns the answer for a refused path, or null.
 */
let entryPoint: { allowed: string | undefined; check: (path: string) => Response | null } | null = null

export function entryPointDenial(allowed: string | undefined): (path: string) => Response | null {
  // Built once per value of the variable, not per request.
  if (entryPoint !== null && entryPoint.allowed === allowed) return entryPoint.check
  const names = new Set(
    (allowed ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  const config = Object.fromEntries(ENCODED_CHARACTER_OPTIONS.map((o) => [o, names.has('*') || names.has(o)])) as EncodedCharacters
  const deny = denied(config)
  const check = (path: string) => (path.includes('%') && refused(path, deny) ? badRequest() : null)
  entryPoint = { allowed, check }
  return check
}
