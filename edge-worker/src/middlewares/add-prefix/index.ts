/**
 * addPrefix: puts the configured prefix in front of the path (`a` + `/` gives `/a/`). An empty
 * prefix is a configuration error.
 *
 * @module
 */
import type { AddPrefix } from '../../../../shared/dynamic/types.ts'
import type { Handler } from '../../request.ts'
import { ensureLeadingSlash, escapePath } from '../toolkit/path.ts'

export function addPrefix(config: AddPrefix): (next: Handler) => Handler {
  if (!config.prefix) throw new Error('addPrefix: prefix cannot be empty')
  const prefix = escapePath(config.prefix)
  return (next) =>
    async function addPrefix(req) {
      req.path = ensureLeadingSlash(prefix + req.path)
      return next(req)
    }
}
