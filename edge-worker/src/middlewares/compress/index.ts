/**
 * compress: Traefik's response compression (gzip, br, zstd) negotiated from Accept-Encoding
 * (./accept-encoding.ts). Not compressed: HEAD requests, requests whose own Content-Type is
 * application/grpc or excluded, responses that already have a Content-Encoding, responses
 * whose type is excluded (or not included), bodies under minResponseBodyBytes (1024 by
 * default; read until known, then streamed). Compressed: Content-Encoding set, Content-Length
 * removed; Vary: Accept-Encoding whenever a coding was chosen.
 *
 * On Cloudflare the worker sees an Accept-Encoding that Cloudflare rewrote for its own fetch to the
 * worker; the client's is in request.cf.clientAcceptEncoding (EdgeRequest.clientAcceptEncoding),
 * and negotiation uses that one.
 *
 * gzip and br are encoded by the runtime itself (a Workers response body is always the
 * identity coding; Content-Encoding tells the runtime how to send it); zstd, which the
 * runtime does not encode, by ./zstd.ts.
 *
 * @module
 */
import type { Compress } from '../../../../shared/dynamic/types.ts'
import { compressConfig } from '../../../../shared/middlewares/compress.ts'
import type { Handler } from '../../request.ts'
import { IDENTITY, NOT_ACCEPTABLE, negotiateEncoding } from './accept-encoding.ts'
import { parseMediaType } from '../../../../shared/http/media-type.ts'
import { peekBody } from '../toolkit/peek-body.ts'
import { zstdStream } from './zstd.ts'

export function compress(config: Compress): (next: Handler) => Handler {
  const { excluded, included, minSize, encodings, defaultEncoding } = compressConfig(config)

  return (next) =>
    async function compress(req) {
      if (req.method === 'HEAD') return next(req)
      const requestType = parseMediaType(req.headers.get('content-type') ?? '')
      if (requestType && excluded.includes(requestType.type)) return next(req)
      const accept = req.clientAcceptEncoding ?? req.headers.get('accept-encoding')
      // No Accept-Encoding: any coding is acceptable, so defaultEncoding if there is one.
      const encoding = accept === null ? defaultEncoding || IDENTITY : negotiateEncoding(accept, encodings, defaultEncoding)
      if (encoding === IDENTITY || encoding === NOT_ACCEPTABLE) return next(req)
      const res = await next(req)
      return compressed(res, encoding, minSize, excluded, included)
    }
}

async function compressed(res: Response, encoding: string, minSize: number, excluded: string[], included: string[]): Promise<Response> {
  if (res.webSocket || res.status === 101) return res
  const headers = new Headers(res.headers)
  headers.append('vary', 'Accept-Encoding')
  const keep = (body: BodyInit | null) => new Response(body, { status: res.status, statusText: res.statusText, headers })
  if (res.body === null || headers.has('content-encoding')) return keep(res.body)
  const type = headers.get('content-type')
  if (type !== null) {
    const parsed = parseMediaType(type)
    if (parsed === null) return keep(res.body)
    if (included.length ? !included.includes(parsed.type) : excluded.includes(parsed.type)) return keep(res.body)
  }
  const declared = headers.get('content-length')
  let body: ReadableStream<Uint8Array>
  if (declared !== null && /^\d+$/.test(declared)) {
    if (Number(declared) < minSize || Number(declared) === 0) return keep(res.body)
    body = res.body
  } else {
    // Unknown length: read until minSize bytes are seen or the body ends, as Traefik buffers.
    const peeked = await peekBody(res.body, minSize)
    if (peeked.ended && (peeked.head.byteLength < minSize || peeked.head.byteLength === 0)) return keep(peeked.head)
    body = peeked.body
  }
  headers.delete('content-length')
  headers.set('content-encoding', encoding)
  if (encoding === 'zstd') {
    return new Response(body.pipeThrough(zstdStream()), { status: res.status, statusText: res.statusText, headers, encodeBody: 'manual' } as ResponseInit)
  }
  return keep(body)
}
