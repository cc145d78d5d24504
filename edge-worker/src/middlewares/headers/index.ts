/**
 * headers, custom request and response headers: an empty value deletes the header (an emptied
 * X-Forwarded-For also keeps the proxy from adding one); `Host` sets the Host sent upstream;
 * anything else replaces. Response headers are applied before the response goes out.
 *
 * The CORS and security halves of the middleware are not implemented by the edge yet: a
 * configuration using them is refused (the route answers 501) rather than served without them.
 *
 * @module
 */
import type { Headers as HeadersConfig } from '../../../../shared/dynamic/types.ts'
import { headersUnsupported } from '../../../../shared/table/capabilities.ts'
import type { Handler } from '../../request.ts'
import { withResponseHeaders } from '../../response.ts'

export function headers(config: HeadersConfig): (next: Handler) => Handler {
  const unsupported = headersUnsupported(config)
  if (unsupported) throw new UnsupportedConfig(unsupported)
  const request = Object.entries(config.customRequestHeaders ?? {})
  const response = Object.entries(config.customResponseHeaders ?? {})
  if (request.length === 0 && response.length === 0 && !config.customRequestHeaders && !config.customResponseHeaders) {
    throw new Error('headers: nothing configured')
  }
  return (next) =>
    async function headers(req) {
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
      const res = await next(req)
      if (response.length === 0) return res
      return withResponseHeaders(res, (h) => {
        for (const [name, value] of response) {
          if (value === '') h.delete(name)
          else h.set(name, value)
        }
      })
    }
}

/** A configuration the edge recognises but does not implement: the route answers 501. */
export class UnsupportedConfig extends Error {
  override readonly name = 'UnsupportedConfig'
}
