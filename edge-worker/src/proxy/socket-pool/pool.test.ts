import { describe, expect, it } from 'vitest'
import type { Connect, SocketLike } from '../dial.ts'
import type { UpstreamRequest } from '../transport.ts'
import { ConnectionPool, type PoolRequest } from './pool.ts'
import { HEAD_METHOD, REPLAYABLE, parseRoute, replayable, routeString } from './protocol.ts'
import { headEnd, serializeRequestHead } from '../http1/wire.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/**
 * A scripted upstream: each connection answers every request head it reads with `answer(n, i)`
 * (n counts requests over all connections, i those on this connection), or closes without an
 * answer when it gives null (a server that closed a kept-alive connection as the request came).
 */
function upstream(answer: (n: number, i: number) => string | null) {
  let requests = 0
  const connect: Connect = () => {
    let onThis = 0
    let controller!: ReadableStreamDefaultController<Uint8Array>
    const readable = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
    const end = () => {
      try {
        controller.close()
      } catch {}
    }
    const writable = new WritableStream<Uint8Array>({
      write(chunk) {
        if (!dec.decode(chunk).includes('\r\n\r\n')) return
        const text = answer(++requests, ++onThis)
        if (text === null) end()
        else controller.enqueue(enc.encode(text))
      },
    })
    const socket: SocketLike = { opened: Promise.resolve(), readable, writable, close: async () => end() }
    return socket
  }
  return {
    connect,
    get requests() {
      return requests
    },
  }
}

/** As the proxy's transport hands it over (./transport.ts): the head written, the flags set. */
function request(method: string, headers: Record<string, string> = {}): PoolRequest {
  const req: UpstreamRequest = {
    server: { tls: false, hostname: '10.0.0.1', port: 80, host: '10.0.0.1' },
    url: '',
    target: '/',
    method,
    host: 'app.example',
    headers: new Headers(headers),
    body: null,
    dialTimeoutMs: 0,
    responseHeaderTimeoutMs: 0,
    idleConnTimeoutMs: 0,
    signal: undefined,
  }
  const head = serializeRequestHead({ method, target: req.target, host: req.host, headers: req.headers, body: 'none' })
  const key = routeString(req)
  return { key, route: parseRoute(key), head, body: null, flags: (method === 'HEAD' ? HEAD_METHOD : 0) | (replayable(req) ? REPLAYABLE : 0) }
}

/** The answer's status and body as text (head and body in one array, or the head and a stream). */
async function answer(a: Uint8Array | [Uint8Array, ReadableStream<Uint8Array>]): Promise<[number, string]> {
  const bytes = a instanceof Uint8Array ? a : a[0]
  const end = headEnd(bytes, 0)
  const status = Number(dec.decode(bytes.subarray(9, 12)))
  return [status, a instanceof Uint8Array ? dec.decode(bytes.subarray(end)) : await new Response(a[1]).text()]
}

const ok = (n: number) => `HTTP/1.1 200 OK\r\nContent-Length: ${String(n).length}\r\n\r\n${n}`

describe('ConnectionPool replays only what Go replays on a reused connection found dead', () => {
  for (const [method, headers, replayed] of [
    ['GET', {}, true],
    ['HEAD', {}, true],
    ['POST', {}, false],
    ['DELETE', {}, false],
    ['POST', { 'idempotency-key': 'k1' }, true],
    ['PATCH', { 'x-idempotency-key': 'k1' }, true],
  ] as const) {
    it(`${method}${Object.keys(headers).length ? ` with ${Object.keys(headers)[0]}` : ''}: ${replayed ? 'sent again' : 'not sent again'}`, async () => {
      // The second request on the first connection finds it closed, with no answer.
      const up = upstream((n, i) => (i === 2 ? null : ok(n)))
      const pool = new ConnectionPool(() => up.connect)
      expect((await answer(await pool.exchange(request('GET'))))[1]).toBe('1')
      const next = pool.exchange(request(method, headers))
      if (replayed) {
        const res = await next
        expect(await answer(res)).toEqual([200, method === 'HEAD' ? '' : '3'])
        expect(up.requests).toBe(3)
      } else {
        await expect(next).rejects.toThrow(/connection closed before the response head/)
        expect(up.requests).toBe(2)
      }
    })
  }
})
