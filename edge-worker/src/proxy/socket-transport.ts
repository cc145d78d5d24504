/**
 * The upstream over a raw TCP (or TLS) socket, speaking HTTP/1.1 itself: the way to send the
 * client's Host to a server addressed by IP on workerd, whose fetch() always writes the URL's
 * host. One connection per request (sockets cannot outlive the request that opened them), so the
 * request says `Connection: close`; a Content-Length body is then piped natively from the socket
 * (the server's close ends it), and only chunked bodies are decoded here.
 *
 * @module
 */
import {
  ByteReader,
  LAST_CHUNK,
  bodyStream,
  encodeChunk,
  readResponseHead,
  responseFraming,
  serializeRequestHead,
} from './http1/wire.ts'
import { ProxyError, withDeadline, type UpstreamRequest } from './transport.ts'

// Loaded on first use: the module exists only in the Workers runtime, and unit tests of the
// proxy run in Node with their own transports.
let sockets: Promise<typeof import('cloudflare:sockets')> | null = null

export async function socketTransport(req: UpstreamRequest): Promise<Response> {
  const { connect } = await (sockets ??= import('cloudflare:sockets'))
  const { tls, hostname, port } = req.server
  const socket = connect({ hostname, port }, { secureTransport: tls ? 'on' : 'off', allowHalfOpen: false })
  const close = () => void socket.close().catch(() => {})
  const onClientGone = () => close()
  req.signal?.addEventListener('abort', onClientGone)
  try {
    await withDeadline(socket.opened, req.dialTimeoutMs, 'connecting', close)
  } catch (err) {
    req.signal?.removeEventListener('abort', onClientGone)
    close()
    if (err instanceof ProxyError) throw err
    throw new ProxyError('unreachable', `connecting to ${req.server.host}: ${(err as Error).message}`)
  }

  const body = req.body === null ? 'none' : req.headers.has('content-length') ? 'length' : 'chunked'
  const writer = socket.writable.getWriter()
  const sending = (async () => {
    await writer.write(serializeRequestHead({ method: req.method, target: req.target, host: req.host, headers: req.headers, body, close: true }))
    if (req.body) {
      const reader = req.body.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        await writer.write(body === 'chunked' ? encodeChunk(value) : value)
      }
      if (body === 'chunked') await writer.write(LAST_CHUNK)
    }
  })()
  // The upstream may answer before it has read the whole body; a failed write then shows as
  // an error reading the response, which is what decides the status.
  sending.catch(() => {})

  const reader = new ByteReader(socket.readable.getReader())
  const done = () => {
    req.signal?.removeEventListener('abort', onClientGone)
    close()
  }
  try {
    let head = await withDeadline(readResponseHead(reader), req.responseHeaderTimeoutMs, 'waiting for the response head', close)
    // Interim 1xx responses (100 Continue...) are not forwarded.
    while (head.status >= 100 && head.status < 200) head = await readResponseHead(reader)
    const framing = responseFraming(req.method, head)
    const init = { status: head.status, statusText: head.statusText, headers: head.headers }
    if (framing.kind === 'length' && framing.length > 0) return new Response(piped(socket.readable, reader.release(), framing.length, done), init)
    return new Response(bodyStream(reader, framing, done), init)
  } catch (err) {
    done()
    if (err instanceof ProxyError) throw err
    if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
    throw new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
  }
}

/** The body straight from the socket into a native fixed-length stream, after what was buffered. */
function piped(source: ReadableStream<Uint8Array>, buffered: Uint8Array, length: number, done: () => void): ReadableStream<Uint8Array> {
  const body = new FixedLengthStream(length)
  void (async () => {
    if (buffered.length) {
      const w = body.writable.getWriter()
      await w.write(buffered)
      w.releaseLock()
    }
    await source.pipeTo(body.writable)
  })()
    .catch(() => {})
    .finally(done)
  return body.readable
}
