/**
 * headers, as Traefik composes it: custom headers and CORS (Traefik's Header) in front of the
 * security checks and headers (unrolled/secure), in front of the next handler.
 *   - a CORS preflight (OPTIONS + Origin + Access-Control-Request-Method) is answered here:
 *     200, empty, never forwarded;
 *   - customRequestHeaders: an empty value deletes the header (an emptied X-Forwarded-For also
 *     keeps the proxy from adding one); `Host` sets the Host sent upstream; anything else replaces;
 *   - the security checks may stop the request (500 Bad Host, the deprecated HTTPS redirects);
 *   - on the way back the security headers are set, then customResponseHeaders (empty value:
 *     delete) and the CORS headers, on whatever the inner handlers answered.
 *
 * @module
 */
import type { Headers as HeadersConfig } from '../../../../shared/dynamic/types.ts'
import { headersConfig } from '../../../../shared/middlewares/headers.ts'
import type { Handler } from '../../request.ts'
import { withResponseHeaders } from '../../response.ts'
import { cors, firstValue } from './cors.ts'
import { secure } from './secure.ts'

export function headers(config: HeadersConfig): (next: Handler) => Handler {
  const { withCors, withSecure, originRegexes } = headersConfig(config)
  const request = Object.entries(config.customRequestHeaders ?? {})
  const response = Object.entries(config.customResponseHeaders ?? {})
  const corsPart = withCors ? cors(config, originRegexes) : null
  const securePart = withSecure ? secure(config) : null
  const modifiesResponse = response.length > 0 || corsPart !== null
  return (next) =>
    async function headers(req) {
      const preflight = corsPart?.preflight(req.method, req.headers)
      if (preflight) return preflight
      for (const [name, value] of request) {
        if (value === '') {
          if (name.toLowerCase() === 'x-forwarded-for') req.skipXff = true
          req.headers.delete(name)
        } else if (name.toLowerCase() === 'host') {
          req.host = value
        } else {
          req.headers.set(name, value)
        }
      }
      // The Origin the response is decorated for: the request's, as it went upstream.
      const origin = corsPart ? firstValue(req.headers.get('origin') ?? '') : ''
      const checked = securePart?.check(req)
      const passed = checked && 'headers' in checked ? checked : null
      const res = checked && 'stop' in checked ? checked.stop : await next(req)
      if (!modifiesResponse && !passed) return res
      // One copy of the response for every change, in Traefik's order: security, custom, CORS.
      return withResponseHeaders(res, (h) => {
        if (passed) securePart!.decorate(h, passed)
        for (const [name, value] of response) {
          if (value === '') h.delete(name)
          else h.set(name, value)
        }
        corsPart?.decorate(h, origin)
      })
    }
}
