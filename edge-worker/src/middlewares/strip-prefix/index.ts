/**
 * stripPrefix: removes the first configured prefix (config order, plain string prefix of the
 * decoded path, not segment-aware) from the path and says which in X-Forwarded-Prefix. A result
 * that JoinPath normalisation would change (`/api./foo` without `/api`) is refused with 400.
 *
 * @module
 */
import type { StripPrefix } from '../../../../shared/dynamic/types.ts'
import { httpError, type Handler } from '../../request.ts'
import { byteLength, ensureLeadingSlash, escapedLength, joinPathNormalized, unescapePath } from '../toolkit/path.ts'

export function stripPrefix(config: StripPrefix): (next: Handler) => Handler {
  const prefixes = (Array.isArray(config.prefixes) ? config.prefixes : []).map((p) => p.trim())
  return (next) =>
    async function stripPrefix(req) {
      const decoded = unescapePath(req.path)
      const prefix = decoded === null ? undefined : prefixes.find((p) => decoded.startsWith(p))
      if (prefix === undefined) return next(req)
      const cut = escapedLength(req.path, byteLength(prefix))
      const path = ensureLeadingSlash(req.path.slice(cut))
      if (joinPathNormalized(path) !== path) return httpError(400, 'Bad Request')
      req.path = path
      req.headers.append('x-forwarded-prefix', prefix)
      return next(req)
    }
}
