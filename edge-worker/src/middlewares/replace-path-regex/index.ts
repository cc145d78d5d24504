/**
 * replacePathRegex: `regex` (Go syntax, trimmed) tested on the escaped path; on a match every
 * match is replaced by `replacement` (trimmed, Go's template syntax) in the escaped path, the
 * old escaped path goes in X-Replaced-Path, the query stays (a `?` the replacement brings is
 * escaped into the path, as Go's EscapedPath does). A result that does not unescape
 * is a 500; one that JoinPath normalisation would change (`/foo../bar` → `/../bar`) a 400.
 *
 * @module
 */
import type { ReplacePathRegex } from '../../../../shared/dynamic/types.ts'
import { replacePathRegexConfig } from '../../../../shared/middlewares/path-regex.ts'
import { httpError, type Handler } from '../../request.ts'
import { escapePath, isValidEscaped, joinPathNormalized, unescapePath } from '../toolkit/path.ts'

export function replacePathRegex(config: ReplacePathRegex): (next: Handler) => Handler {
  const { re, replacement } = replacePathRegexConfig(config)
  return (next) =>
    async function replacePathRegex(req) {
      const current = req.path
      if (!re.test(current)) return next(req)
      req.headers.append('x-replaced-path', current)
      const replaced = re.replaceAll(current, replacement)
      const decoded = unescapePath(replaced)
      if (decoded === null) return httpError(500, `invalid URL escape ${JSON.stringify(badEscape(replaced))}`)
      if (joinPathNormalized(replaced) !== replaced) return httpError(400, 'Bad Request')
      // Go sends the raw form only when it is a valid escaped path; otherwise its own escaping
      // (a `?` from the replacement stays in the path as %3F, never starts a query).
      req.path = isValidEscaped(replaced) ? replaced : escapePath(decoded)
      return next(req)
    }
}

/** The first malformed escape, as Go's url.EscapeError names it (up to 3 characters from the `%`). */
function badEscape(path: string): string {
  const at = path.search(/%(?![0-9A-Fa-f]{2})/)
  return path.slice(at, at + 3)
}
