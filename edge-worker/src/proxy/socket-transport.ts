/**
 * The upstream over a raw TCP (or TLS) socket, speaking HTTP/1.1 itself: the way to send the
 * client's Host to a server addressed by IP on workerd, whose fetch() always writes the URL's
 * host, when the worker has no UPSTREAM_POOL binding (./socket-pool keeps connections alive in a
 * Durable Object) and for WebSocket upgrades. One connection per request (sockets cannot outlive
 * the request that opened them), so the request says `Connection: close`; a Content-Length body is then piped natively from the socket
 * (the server's close ends it), and only chunked bodies are decoded here. WebSocket upgrades made
 * this way are relayed frame by frame between the client's WebSocket and the socket.
 *
 * @module
 */
import {
  ByteReader,
  bodyStream,
  fieldValue,
  headersOf,
  readResponseHead,
  responseFraming,
  serializeRequestHead,
  writeBody,
  type ResponseHead,
} from './http1/wire.ts'
import { OPCODE, closePayload, encodeFrame, parseClose, readFrame } from './http1/websocket-frames.ts'
import { channelConnect, dial } from './dial.ts'
import { ProxyError, withDeadline, type UpstreamRequest } from './transport.ts'

interface Connection {
  reader: ByteReader
  writer: WritableStreamDefaultWriter<Uint8Array>
  readable: ReadableStream<Uint8Array>
  /** Closes the socket and forgets the client; safe to call more than once. */
  done: () => void
}

async function open(req: UpstreamRequest): Promise<Connection> {
  const socket = await dial(req, await channelConnect(req.channel, req.channelName))
  const close = () => void socket.close().catch(() => {})
  req.signal?.addEventListener('abort', close)
  const done = () => {
    req.signal?.removeEventListener('abort', close)
    close()
  }
  return { reader: new ByteReader(socket.readable.getReader()), writer: socket.writable.getWriter(), readable: socket.readable, done }
}

/** The response head, interim 1xx skipped (101 is the upgrade's answer); errors as ProxyErrors. */
async function responseHead(req: UpstreamRequest, c: Connection): Promise<ResponseHead> {
  try {
    let head = await withDeadline(readResponseHead(c.reader), req.responseHeaderTimeoutMs, 'waiting for the response head', c.done)
    while (head.status >= 100 && head.status < 200 && head.status !== 101) head = await readResponseHead(c.reader)
    return head
  } catch (err) {
    c.done()
    if (err instanceof ProxyError) throw err
    if (req.signal?.aborted) throw req.signal.reason instanceof ProxyError ? req.signal.reason : new ProxyError('canceled', 'client closed the request')
    throw new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
  }
}

/** The upstream's answer as a Response, its body decoded from its framing. */
function toResponse(req: UpstreamRequest, c: Connection, head: ResponseHead): Response {
  try {
    const framing = responseFraming(req.method, head)
    // The bytes are already encoded as Content-Encoding says: workerd must not encode them again.
    const init = { status: head.status, statusText: head.statusText, headers: headersOf(head.fields), encodeBody: 'manual' } as ResponseInit
    if (framing.kind === 'length' && framing.length > 0) return new Response(piped(c.readable, c.reader.release(), framing.length, c.done), init)
    return new Response(bodyStream(c.reader, framing, c.done), init)
  } catch (err) {
    c.done()
    throw new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
  }
}

export async function socketTransport(req: UpstreamRequest): Promise<Response> {
  const c = await open(req)
  const body = req.body === null ? 'none' : req.headers.has('content-length') ? 'length' : 'chunked'
  const sending = (async () => {
    await c.writer.write(serializeRequestHead({ method: req.method, target: req.target, host: req.host, headers: req.headers, body, close: true }))
    if (req.body) await writeBody(c.writer, req.body, body === 'chunked' ? 'chunked' : 'length')
  })()
  // The upstream may answer before it has read the whole body; a failed write then shows as
  // an error reading the response, which is what decides the status.
  sending.catch(() => {})
  return toResponse(req, c, await responseHead(req, c))
}

/** A WebSocket upgrade over the socket: the handshake, then frames relayed both ways. */
export async function socketWebSocket(req: UpstreamRequest): Promise<Response> {
  // Extensions (permessage-deflate) are negotiated by the runtime with the client, not upstream.
  req.headers.delete('sec-websocket-extensions')
  const c = await open(req)
  c.writer.write(serializeRequestHead({ method: req.method, target: req.target, host: req.host, headers: req.headers, body: 'none' })).catch(() => {})
  const head = await responseHead(req, c)
  if (head.status !== 101) return toResponse(req, c, head)
  const pair = new WebSocketPair()
  const client = pair[0]
  const server = pair[1]
  server.accept()
  relay(server, c)
  const headers = new Headers()
  const protocol = fieldValue(head.fields, 'sec-websocket-protocol')
  if (protocol) headers.set('sec-websocket-protocol', protocol)
  return new Response(null, { status: 101, webSocket: client, headers })
}

function relay(ws: WebSocket, c: Connection): void {
  let writes: Promise<unknown> = Promise.resolve()
  // Frames from a client are masked (RFC 6455 §5.3).
  const send = (opcode: number, payload: Uint8Array | Promise<Uint8Array>) => {
    // Chained, so frames keep their order even when a payload is read asynchronously.
    writes = writes.then(async () => c.writer.write(encodeFrame(opcode, await payload, crypto.getRandomValues(new Uint8Array(4))))).catch(() => {})
  }
  ws.addEventListener('message', (e) => {
    const data: unknown = e.data
    if (typeof data === 'string') send(OPCODE.text, new TextEncoder().encode(data))
    else if (data instanceof ArrayBuffer) send(OPCODE.binary, new Uint8Array(data))
    // Binary messages arrive as Blobs under recent compatibility dates.
    else
      send(
        OPCODE.binary,
        (data as Blob).arrayBuffer().then((b) => new Uint8Array(b)),
      )
  })
  ws.addEventListener('close', (e) => {
    // 1005 (no status) and 1006 (abnormal) describe a close; they are never sent in one.
    send(OPCODE.close, closePayload(e.code === 1005 || e.code === 1006 ? undefined : e.code, e.reason))
    void writes.then(c.done)
  })
  ws.addEventListener('error', () => c.done())
  void (async () => {
    const parts: Uint8Array[] = []
    let opcode: number = OPCODE.text
    for (;;) {
      const frame = await readFrame(c.reader)
      if (frame === null) return ws.close(1011, 'upstream closed the connection')
      if (frame.opcode === OPCODE.ping) send(OPCODE.pong, frame.payload)
      else if (frame.opcode === OPCODE.close) {
        const { code, reason } = parseClose(frame.payload)
        ws.close(code === undefined || code === 1005 || code === 1006 ? 1000 : code, reason)
        return c.done()
      } else if (frame.opcode !== OPCODE.pong) {
        if (frame.opcode !== OPCODE.continuation) opcode = frame.opcode
        parts.push(frame.payload)
        if (!frame.fin) continue
        const data = concat(parts.splice(0))
        ws.send(opcode === OPCODE.text ? new TextDecoder().decode(data) : data)
      }
    }
  })().catch(() => {
    ws.close(1011, 'upstream error')
    c.done()
  })
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
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
