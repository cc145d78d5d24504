/**
 * buffering (oxy buffer, as Traefik configures it): the request body is read whole before the
 * upstream sees it (sent with its Content-Length); over maxRequestBodyBytes the client gets 413
 * `Request Entity Too Large` (at once when its Content-Length says so). With
 * maxResponseBodyBytes the response is read whole too, and one over the limit becomes 500
 * `Internal Server Error`. retryExpression (IsNetworkError(), Attempts(), ResponseCode()) sends
 * the request again while it holds, at most 10 times as oxy does.
 *
 * The edge keeps bodies in memory: memRequestBodyBytes and memResponseBodyBytes (the thresholds
 * past which Traefik spills to disk) change nothing here. Without maxResponseBodyBytes and
 * retryExpression the response is streamed rather than held, which the client cannot tell apart
 * but for the Content-Length Traefik adds.
 *
 * @module
 */
import type { Buffering } from '../../../../shared/dynamic/types.ts'
import { bufferingConfig } from '../../../../shared/middlewares/buffering.ts'
import { copyRequest, type EdgeRequest, type Handler } from '../../request.ts'
import { bufferBody } from '../toolkit/body.ts'
import { bytesStream } from '../toolkit/bytes-stream.ts'

/** oxy's DefaultMaxRetryAttempts. */
const MAX_RETRY_ATTEMPTS = 10

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } })
}

export function buffering(config: Buffering): (next: Handler) => Handler {
  const { maxRequest, maxResponse, again } = bufferingConfig(config)
  const holdResponse = maxResponse > 0 || again !== null

  return (next) =>
    async function buffering(req) {
      const declared = Number(req.headers.get('content-length') ?? '-1')
      if (maxRequest > 0 && declared > maxRequest) return plain(413, 'Request Entity Too Large')
      const buffered = await bufferBody(req.body, maxRequest > 0 ? maxRequest : -1)
      if (!buffered.complete) {
        await buffered.stream.cancel().catch(() => {})
        return plain(413, 'Request Entity Too Large')
      }
      const body = buffered.bytes
      const send = (): Promise<Response> => {
        const headers = new Headers(req.headers)
        if (body) {
          headers.delete('transfer-encoding')
          headers.set('content-length', String(body.byteLength))
        }
        const copy: EdgeRequest = copyRequest(req, { headers, body: body ? bytesStream(body) : null })
        return next(copy)
      }
      if (!holdResponse) return send()
      for (let attempt = 1; ; attempt++) {
        const res = await send()
        if (again && attempt <= MAX_RETRY_ATTEMPTS && again({ attempts: attempt, responseCode: res.status })) {
          await res.body?.cancel().catch(() => {})
          continue
        }
        if (!res.body || res.webSocket || res.status === 204 || res.status === 205 || res.status === 304) return res
        const held = await bufferBody(res.body, maxResponse > 0 ? maxResponse : -1)
        if (!held.complete) {
          await held.stream.cancel().catch(() => {})
          return plain(500, 'Internal Server Error')
        }
        const bytes = held.bytes ?? new Uint8Array(0)
        const headers = new Headers(res.headers)
        headers.delete('transfer-encoding')
        headers.set('content-length', String(bytes.byteLength))
        return new Response(req.method === 'HEAD' ? null : bytes, { status: res.status, statusText: res.statusText, headers })
      }
    }
}
