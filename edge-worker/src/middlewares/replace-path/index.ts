/**
 * replacePath: replaces the whole path, keeping the query, and puts the old escaped path in
 * X-Replaced-Path. A path that does not unescape is a 500, as in Traefik.
 *
 * @module
 */
import type { ReplacePath } from '../../../../shared/dynamic/types.ts'
import { httpError, type Handler } from '../../request.ts'
import { escapePath, isValidEscaped, unescapePath } from '../toolkit/path.ts'

export function replacePath(config: ReplacePath): (next: Handler) => Handler {
  const raw = config.path ?? ''
  const decoded = unescapePath(raw)
  // Go sends the configured text when it is a valid escaped form, otherwise its own escaping.
  const escaped = decoded === null ? null : isValidEscaped(raw) ? raw : escapePath(decoded)
  return (next) =>
    async function replacePath(req) {
      if (escaped === null) return httpError(500, 'Internal Server Error')
      req.headers.set('x-replaced-path', req.path)
      req.path = escaped
      return next(req)
    }
}
