/**
 * stripPrefixRegex: for each `regex` (Go syntax, trimmed) in order, its first match in the
 * decoded path, when not empty and at the start of the path, is removed (the escaped path is
 * cut by as many decoded bytes) and sent in X-Forwarded-Prefix. A result that JoinPath
 * normalisation would change (`/api./foo` without `/api`) is refused with 400.
 *
 * @module
 */
import type { StripPrefixRegex } from '../../../../shared/dynamic/types.ts'
import { stripPrefixRegexConfig } from '../../../../shared/middlewares/path-regex.ts'
import { httpError, type Handler } from '../../request.ts'
import { byteLength, ensureLeadingSlash, escapedLength, joinPathNormalized, unescapePath } from '../toolkit/path.ts'

export function stripPrefixRegex(config: StripPrefixRegex): (next: Handler) => Handler {
  const { expressions } = stripPrefixRegexConfig(config)
  return (next) =>
    async function stripPrefixRegex(req) {
      const decoded = unescapePath(req.path)
      if (decoded === null) return next(req)
      for (const re of expressions) {
        const m = re.exec(decoded)
        if (m === null || m[1] === m[0]) continue
        const prefix = decoded.slice(m[0], m[1])
        if (!decoded.startsWith(prefix)) continue
        const cut = escapedLength(req.path, byteLength(prefix))
        const path = ensureLeadingSlash(req.path.slice(cut))
        if (joinPathNormalized(path) !== path) return httpError(400, 'Bad Request')
        req.headers.append('x-forwarded-prefix', prefix)
        req.path = path
        return next(req)
      }
      return next(req)
    }
}
