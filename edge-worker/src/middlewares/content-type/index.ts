/**
 * contentType: a response that comes without a Content-Type gets the one Go's
 * http.DetectContentType finds in its first 512 bytes (./sniff.ts). Traefik turns that
 * sniffing off on every router and this middleware turns it back on; without it the edge, like
 * Traefik, sends no Content-Type the upstream did not send. `autoDetect: false` (deprecated)
 * leaves sniffing off. Like Go's server, no sniffing when a Content-Encoding is set, for
 * bodiless statuses, or for an empty body.
 *
 * @module
 */
import type { ContentType } from '../../../../shared/dynamic/types.ts'
import type { Handler } from '../../request.ts'
import { peekBody } from '../toolkit/peek-body.ts'
import { detectContentType, SNIFF_LENGTH } from './sniff.ts'

export function contentType(config: ContentType): (next: Handler) => Handler {
  if (config?.autoDetect === false) return (next) => next
  return (next) =>
    async function contentType(req) {
      const res = await next(req)
      if (res.body === null || res.webSocket || res.headers.has('content-type') || res.headers.has('content-encoding')) return res
      if (res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200)) return res
      const { head, body } = await peekBody(res.body, SNIFF_LENGTH)
      const headers = new Headers(res.headers)
      if (head.byteLength > 0) headers.set('content-type', detectContentType(head))
      return new Response(body, { status: res.status, statusText: res.statusText, headers })
    }
}
