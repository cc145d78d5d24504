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
import { detectContentType, SNIFF_LENGTH } from './sniff.ts'

export function contentType(config: ContentType): (next: Handler) => Handler {
  if (config?.autoDetect === false) return (next) => next
  return (next) =>
    async function contentType(req) {
      const res = await next(req)
      if (res.body === null || res.webSocket || res.headers.has('content-type') || res.headers.has('content-encoding')) return res
      if (res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200)) return res
      const reader = res.body.getReader()
      const head: Uint8Array[] = []
      let size = 0
      let done = false
      while (size < SNIFF_LENGTH) {
        const r = await reader.read()
        if (r.done) {
          done = true
          break
        }
        head.push(r.value)
        size += r.value.byteLength
      }
      const first = new Uint8Array(size)
      let at = 0
      for (const c of head) {
        first.set(c, at)
        at += c.byteLength
      }
      const headers = new Headers(res.headers)
      if (size > 0) headers.set('content-type', detectContentType(first))
      let sent = false
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!sent) {
            sent = true
            if (size > 0) controller.enqueue(first)
            if (done) controller.close()
            return
          }
          const r = await reader.read()
          if (r.done) controller.close()
          else controller.enqueue(r.value)
        },
        cancel: (reason) => reader.cancel(reason),
      })
      return new Response(body, { status: res.status, statusText: res.statusText, headers })
    }
}
