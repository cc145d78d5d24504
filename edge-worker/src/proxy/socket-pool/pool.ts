/**
 * Keep-alive HTTP/1.1 connections to upstreams, reused across requests: what lets the edge send
 * the client's Host (passHostHeader) without a TCP handshake per request. workerd binds a socket
 * to the request that opened it, except inside a Durable Object, whose I/O outlives any one
 * request; so this pool lives in one (./pool-object.ts) and the proxy reaches it through a stub.
 *
 * A connection goes back to the pool only when its exchange ended exactly at a message boundary:
 * the request written in full, the response read to its end (Content-Length, chunked, or no
 * body) and not one byte more buffered. While it waits in the pool a read stays pending on it,
 * and anything that arrives then (an unsolicited response, or the server closing) closes it, as
 * Go's transport does: bytes a server sends beyond its answer must never become the next
 * client's response (issue 17; test/adversarial/pool-poisoning.test.ts). A connection found
 * dead on reuse before any byte of the answer is replaced, and the request is sent once more on
 * a new connection when Go's transport would replay it (Request.isReplayable: no body, and GET,
 * HEAD, OPTIONS, TRACE or an Idempotency-Key header); nothing else is retried.
 *
 * @module
 */
import { ByteReader, bodyStream, fieldValue, ignore, readResponseHead, responseFraming, writeBody, type ResponseHead } from '../http1/wire.ts'
import { dial, type Connect, type SocketLike } from '../dial.ts'
import { ProxyError, withDeadline, type ServerAddress } from '../transport.ts'
import { CHUNKED, HEAD_METHOD, REPLAYABLE, type PoolAnswer, type PoolRoute } from './protocol.ts'

/** What the pool answers: the protocol's answer but a failure, which it throws. */
export type PoolResponse = Exclude<PoolAnswer, string>

/** The connect function for a route's transport (its channel's, or the global one). */
export type ConnectFor = (route: PoolRoute) => Connect | Promise<Connect>

/** One request as the pool takes it: its head already written (./protocol.ts). */
export interface PoolRequest {
  /** The route's string (./protocol.ts routeString): also the key of its idle connections. */
  key: string
  route: PoolRoute
  head: Uint8Array
  body: ReadableStream<Uint8Array> | null
  /** ./protocol.ts's HEAD_METHOD, REPLAYABLE, CHUNKED. */
  flags: number
}

interface Connection {
  socket: SocketLike
  reader: ByteReader
  writer: WritableStreamDefaultWriter<Uint8Array>
  /** Date.now() when it last went idle; 0 while it carries its first exchange. */
  idleSince: number
  /** Waiting in the pool (a read pending on it), not carrying an exchange. */
  idle: boolean
  /** Its idle list's key (the route's string): fixed for the connection's life. */
  key: string
}

/** Idle connections kept per server by default (Traefik's default maxIdleConnsPerHost). */
export const DEFAULT_MAX_IDLE_PER_HOST = 200

export class ConnectionPool {
  readonly #connectFor: ConnectFor
  readonly #idle = new Map<string, Connection[]>()

  constructor(connectFor: ConnectFor) {
    this.#connectFor = connectFor
  }

  async exchange(req: PoolRequest): Promise<PoolResponse> {
    const reused = this.#take(req)
    if (reused) {
      try {
        return await this.#send(req, reused)
      } catch (err) {
        // A stale keep-alive connection fails before any byte of the answer; a request Go's
        // transport would replay goes once more on a fresh connection, no other.
        if (!(err instanceof StaleConnection) || !(req.flags & REPLAYABLE)) throw err instanceof StaleConnection ? err.cause : err
      }
    }
    try {
      return await this.#send(req, await this.#open(req))
    } catch (err) {
      throw err instanceof StaleConnection ? err.cause : err
    }
  }

  #take(req: PoolRequest): Connection | null {
    const list = this.#idle.get(req.key)
    const now = Date.now()
    while (list && list.length > 0) {
      const c = list.pop()!
      c.idle = false
      // Bytes (or the end) that arrived in the moment before the idle watch saw them: not reusable.
      if (c.reader.buffered > 0 || c.reader.ended || (req.route.idleConnTimeoutMs > 0 && now - c.idleSince > req.route.idleConnTimeoutMs)) {
        close(c)
        continue
      }
      return c
    }
    return null
  }

  /** Back to the pool after a clean exchange: only at a message boundary, then watched while idle. */
  #give(route: PoolRoute, c: Connection): void {
    // Bytes beyond the response (a second, unsolicited one): Go's transport closes such a connection.
    if (c.reader.buffered > 0 || c.reader.ended) return unsolicited(route.server, c)
    let list = this.#idle.get(c.key)
    if (!list) this.#idle.set(c.key, (list = []))
    const max = route.maxIdleConnsPerHost ?? DEFAULT_MAX_IDLE_PER_HOST
    if (list.length >= max) return close(c)
    c.idleSince = Date.now()
    c.idle = true
    list.push(c)
    // Nothing may arrive on an idle connection: data is an unsolicited response, the end a close.
    void c.reader.watch().then(() => {
      if (!c.idle) return
      c.idle = false
      const at = list.indexOf(c)
      if (at !== -1) list.splice(at, 1)
      if (c.reader.buffered > 0) unsolicited(route.server, c)
      else close(c)
    })
  }

  async #open(req: PoolRequest): Promise<Connection> {
    const socket = await dial(req.route, await this.#connectFor(req.route))
    return { socket, reader: new ByteReader(socket.readable.getReader()), writer: socket.writable.getWriter(), idleSince: 0, idle: false, key: req.key }
  }

  async #send(req: PoolRequest, c: Connection): Promise<PoolResponse> {
    const { route, body: upload } = req
    const sent =
      upload === null ? c.writer.write(req.head) : c.writer.write(req.head).then(() => writeBody(c.writer, upload, req.flags & CHUNKED ? 'chunked' : 'length'))
    // The upstream may answer before reading the whole body; a failed write then shows as an
    // error reading the response, which decides the status.
    sent.catch(ignore)
    let res: ResponseHead
    try {
      res = await withDeadline(readResponseHead(c.reader), route.responseHeaderTimeoutMs, 'waiting for the response head', () => close(c))
      while (res.status >= 100 && res.status < 200) res = await readResponseHead(c.reader)
    } catch (err) {
      close(c)
      if (err instanceof ProxyError) throw err
      const failure = new ProxyError('unreachable', `${route.server.host}: ${(err as Error).message}`)
      // Nothing read yet on a reused connection: the server had closed it while idle.
      if (c.idleSince !== 0 && c.reader.buffered === 0) throw new StaleConnection(failure)
      throw failure
    }
    let reusable = !/(^|,)\s*close\s*(,|$)/i.test(fieldValue(res.fields, 'connection') ?? '')
    try {
      const framing = responseFraming(req.flags & HEAD_METHOD ? 'HEAD' : 'GET', res)
      if (framing.kind === 'close') reusable = false
      const finished = (clean: boolean) => {
        if (!clean || !reusable) return close(c)
        sent.then(
          () => this.#give(route, c),
          () => close(c),
        )
      }
      if (framing.kind === 'none' || (framing.kind === 'length' && c.reader.buffered >= framing.length)) {
        // The whole body came with the head (small responses): head and body in one copy (the
        // body follows the head in the reader's buffer: no read came between), no stream to pump.
        const raw = res.raw
        const whole = new Uint8Array(raw.buffer, raw.byteOffset, raw.length + (framing.kind === 'none' ? 0 : c.reader.take(framing.length).length)).slice()
        finished(true)
        return whole
      }
      // Not 'none' here, so a stream.
      return [res.raw.slice(), bodyStream(c.reader, framing, finished)!]
    } catch (err) {
      close(c)
      throw new ProxyError('unreachable', `${route.server.host}: ${(err as Error).message}`)
    }
  }
}

class StaleConnection extends Error {
  override readonly cause: ProxyError
  constructor(cause: ProxyError) {
    super(cause.message)
    this.cause = cause
  }
}

function close(c: Connection): void {
  c.idle = false
  c.reader.cancel()
  void c.socket.close().catch(ignore)
}

/** Go's transport logs it too ("Unsolicited response received on idle HTTP channel"). */
function unsolicited(server: ServerAddress, c: Connection): void {
  console.error(`[edge] upstream ${server.host}: ${c.reader.buffered} byte(s) beyond the response on a kept-alive connection; connection closed`)
  close(c)
}
