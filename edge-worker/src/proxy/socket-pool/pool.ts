/**
 * Keep-alive HTTP/1.1 connections to upstreams, reused across requests: what lets the edge send
 * the client's Host (passHostHeader) without a TCP handshake per request. workerd binds a socket
 * to the request that opened it, except inside a Durable Object, whose I/O outlives any one
 * request; so this pool lives in one (./pool-object.ts) and the proxy reaches it through a stub.
 *
 * A connection goes back to the pool only at a message boundary: the request written in full
 * and the response read to its end (Content-Length, chunked, or no body). A connection the
 * server closed while idle is found out on reuse; a request without a body is then sent once
 * more on a new connection, as Go's transport retries a request that never reached the server.
 *
 * @module
 */
import { ByteReader, bodyStream, readResponseHead, responseFraming, serializeRequestHead, writeBody, type ResponseHead } from '../http1/wire.ts'
import { ProxyError, withDeadline, type ServerAddress, type UpstreamRequest } from '../transport.ts'

/** What the pool needs of `cloudflare:sockets`' connect (a parameter, so Node tests can give theirs). */
export type Connect = (address: { hostname: string; port: number }, options: { secureTransport: 'on' | 'off'; allowHalfOpen: boolean }) => SocketLike

export interface SocketLike {
  readonly opened: Promise<unknown>
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
  close(): Promise<void>
}

interface Connection {
  socket: SocketLike
  reader: ByteReader
  writer: WritableStreamDefaultWriter<Uint8Array>
  /** Date.now() when it went idle. */
  idleSince: number
}

/** Idle connections kept per server; more are closed when they finish. */
const MAX_IDLE_PER_SERVER = 128

export class ConnectionPool {
  readonly #connect: Connect
  readonly #idle = new Map<string, Connection[]>()

  constructor(connect: Connect) {
    this.#connect = connect
  }

  /** Idle connections to a server (for tests and metrics). */
  idleCount(server: ServerAddress): number {
    return this.#idle.get(key(server))?.length ?? 0
  }

  async exchange(req: UpstreamRequest): Promise<Response> {
    const reused = this.#take(req)
    if (reused) {
      try {
        return await this.#send(req, reused)
      } catch (err) {
        // A stale keep-alive connection fails before any byte of the answer; without a body to
        // resend, the request goes once more on a fresh connection.
        if (!(err instanceof StaleConnection) || req.body !== null) throw err instanceof StaleConnection ? err.cause : err
      }
    }
    try {
      return await this.#send(req, await this.#open(req))
    } catch (err) {
      throw err instanceof StaleConnection ? err.cause : err
    }
  }

  #take(req: UpstreamRequest): Connection | null {
    const list = this.#idle.get(key(req.server))
    const now = Date.now()
    while (list && list.length > 0) {
      const c = list.pop()!
      if (req.idleConnTimeoutMs > 0 && now - c.idleSince > req.idleConnTimeoutMs) {
        close(c)
        continue
      }
      return c
    }
    return null
  }

  #give(server: ServerAddress, c: Connection): void {
    const k = key(server)
    let list = this.#idle.get(k)
    if (!list) this.#idle.set(k, (list = []))
    if (list.length >= MAX_IDLE_PER_SERVER) return close(c)
    c.idleSince = Date.now()
    list.push(c)
  }

  async #open(req: UpstreamRequest): Promise<Connection> {
    const { tls, hostname, port } = req.server
    const socket = this.#connect({ hostname, port }, { secureTransport: tls ? 'on' : 'off', allowHalfOpen: false })
    try {
      await withDeadline(socket.opened, req.dialTimeoutMs, 'connecting', () => void socket.close().catch(() => {}))
    } catch (err) {
      void socket.close().catch(() => {})
      if (err instanceof ProxyError) throw err
      throw new ProxyError('unreachable', `connecting to ${req.server.host}: ${(err as Error).message}`)
    }
    return { socket, reader: new ByteReader(socket.readable.getReader()), writer: socket.writable.getWriter(), idleSince: 0 }
  }

  async #send(req: UpstreamRequest, c: Connection): Promise<Response> {
    const bodyKind = req.body === null ? 'none' : req.headers.has('content-length') ? 'length' : 'chunked'
    const head = serializeRequestHead({ method: req.method, target: req.target, host: req.host, headers: req.headers, body: bodyKind, omit: req.omitHeader })
    const upload = req.body
    const sent =
      upload === null ? c.writer.write(head) : c.writer.write(head).then(() => writeBody(c.writer, upload, bodyKind === 'chunked' ? 'chunked' : 'length'))
    // The upstream may answer before reading the whole body; a failed write then shows as an
    // error reading the response, which decides the status.
    sent.catch(() => {})
    let res: ResponseHead
    const abort = () => close(c)
    req.signal?.addEventListener('abort', abort)
    try {
      res = await withDeadline(readResponseHead(c.reader), req.responseHeaderTimeoutMs, 'waiting for the response head', abort)
      while (res.status >= 100 && res.status < 200) res = await readResponseHead(c.reader)
    } catch (err) {
      close(c)
      if (err instanceof ProxyError) throw err
      if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
      const failure = new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
      // Nothing read yet on a reused connection: the server had closed it while idle.
      if (c.idleSince !== 0 && c.reader.buffered === 0) throw new StaleConnection(failure)
      throw failure
    } finally {
      req.signal?.removeEventListener('abort', abort)
    }
    let reusable = !/(^|,)\s*close\s*(,|$)/i.test(res.headers.get('connection') ?? '')
    let body: ReadableStream<Uint8Array> | Uint8Array | null
    try {
      const framing = responseFraming(req.method, res)
      if (framing.kind === 'close') reusable = false
      const finished = (clean: boolean) => {
        if (!clean || !reusable) return close(c)
        sent.then(
          () => this.#give(req.server, c),
          () => close(c),
        )
      }
      if (framing.kind === 'length' && c.reader.buffered >= framing.length) {
        // The whole body came with the head (small responses): passed as bytes, no stream to pump.
        body = c.reader.take(framing.length).slice()
        finished(true)
      } else body = bodyStream(c.reader, framing, finished)
    } catch (err) {
      close(c)
      throw new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
    }
    // Connection and Keep-Alive speak of this hop only.
    res.headers.delete('connection')
    res.headers.delete('keep-alive')
    // The bytes are already encoded as Content-Encoding says: workerd must not encode them again.
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers, encodeBody: 'manual' } as ResponseInit)
  }
}

class StaleConnection extends Error {
  override readonly cause: ProxyError
  constructor(cause: ProxyError) {
    super(cause.message)
    this.cause = cause
  }
}

function key(server: ServerAddress): string {
  return `${server.tls ? 's' : ''}${server.hostname}:${server.port}`
}

function close(c: Connection): void {
  c.reader.cancel()
  void c.socket.close().catch(() => {})
}
