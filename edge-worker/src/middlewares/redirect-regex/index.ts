/**
 * redirectRegex: `regex` (Go syntax) tested on `scheme://Host/RequestURI` (https only over TLS,
 * X-Forwarded-Proto ignored, the Host header as sent, port included); `replacement` in Go's
 * template syntax; 302/307, or 301/308 with `permanent`.
 *
 * @module
 */
import type { RedirectRegex } from '../../../../shared/dynamic/types.ts'
import { redirectRegexConfig } from '../../../../shared/middlewares/redirect.ts'
import type { Handler } from '../../request.ts'
import { redirect, requestUri } from '../toolkit/redirect.ts'

export function redirectRegex(config: RedirectRegex): (next: Handler) => Handler {
  return redirect({
    ...redirectRegexConfig(config),
    rawUrl: (req) => `${req.tls ? 'https' : 'http'}://${req.host}${requestUri(req)}`,
  })
}
