import { describe, expect, it } from 'vitest'
import type { TableServer } from '../../../shared/table/schema.ts'
import type { EdgeRequest } from '../request.ts'
import { reverseProxy, type ProxyOptions } from './index.ts'
import { ProxyError, type UpstreamRequest } from './transport.ts'

const server = (url: string, extra: Partial<TableServer> = {}): TableServer => ({ url, weight: 1, preservePath: false, fenced: false, up: true, ...extra })

function request(extra: Partial<EdgeRequest> = {}): EdgeRequest {
  return {
    method: 'GET',
    host: 'app.example',
    path: '/a/b',
    query: 'x=1;y=2',
    headers: new Headers({ 'x-in': '1' }),
    body: null,
    clientIp: '10.0.0.1',
    tls: false,
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
    ...extra,
  }
}

async function through(s: TableServer, options: Partial<ProxyOptions>, req = request()) {
  const sent: Array<{ via: string; req: UpstreamRequest }> = []
  const proxy = reverseProxy(s, {
    target: 'workerd',
    passHostHeader: true,
    transport: null,
    fetchVia: async (r) => (sent.push({ via: 'fetch', req: r }), new Response('ok')),
    socketVia: async (r) => (sent.push({ via: 'socket', req: r }), new Response('ok')),
    socketWebSocketVia: async (r) => (sent.push({ via: 'socket-ws', req: r }), new Response('ok')),
    ...options,
  })
  const res = await proxy(req)
  return { res, sent: sent[0]! }
}

describe('reverse proxy', () => {
  it('takes scheme and authority from the server, the path from the request, and rewrites ; in the query', async () => {
    const { sent } = await through(server('http://10.1.0.1:8080/ignored'), {})
    expect(sent.req.url).toBe('http://10.1.0.1:8080/a/b?x=1&y=2')
    expect(sent.req.target).toBe('/a/b?x=1&y=2')
    expect(sent.req.headers.get('x-forwarded-for')).toBe('10.0.0.1')
    expect(sent.req.headers.get('x-in')).toBe('1')
  })

  it('joins the server path in front with preservePath', async () => {
    const { sent } = await through(server('http://10.1.0.1/base/', { preservePath: true }), {})
    expect(sent.req.target).toBe('/base/a/b?x=1&y=2')
  })

  it('sends the client Host over a socket on workerd, the server host over fetch', async () => {
    const pass = await through(server('http://10.1.0.1:8080'), { passHostHeader: true })
    expect([pass.sent.via, pass.sent.req.host]).toEqual(['socket', 'app.example'])
    const own = await through(server('http://10.1.0.1:8080'), { passHostHeader: false })
    expect([own.sent.via, own.sent.req.host]).toEqual(['fetch', '10.1.0.1:8080'])
    const same = await through(server('http://app.example'), { passHostHeader: true })
    expect(same.sent.via).toBe('fetch')
    const cf = await through(server('http://origin.example'), { passHostHeader: true, target: 'cloudflare' })
    expect([cf.sent.via, cf.sent.req.host]).toEqual(['fetch', 'app.example'])
  })

  it('relays WebSocket upgrades over a socket when the upstream must see the client Host', async () => {
    const upgrade = () => request({ headers: new Headers({ connection: 'Upgrade', upgrade: 'websocket' }) })
    const ws = await through(server('http://10.1.0.1'), {}, upgrade())
    expect(ws.sent.via).toBe('socket-ws')
    expect(ws.sent.req.headers.get('upgrade')).toBe('websocket')
    expect((await through(server('http://10.1.0.1'), { passHostHeader: false }, upgrade())).sent.via).toBe('fetch')
  })

  it('adds no X-Forwarded-For when a middleware emptied it', async () => {
    const { sent } = await through(server('http://10.1.0.1'), {}, request({ skipXff: true }))
    expect(sent.req.headers.has('x-forwarded-for')).toBe(false)
  })

  it('speaks HTTP/1.1 to h2c servers', async () => {
    const { sent } = await through(server('h2c://10.1.0.1:81'), { passHostHeader: false })
    expect(sent.req.url).toBe('http://10.1.0.1:81/a/b?x=1&y=2')
    expect(sent.req.server).toEqual({ tls: false, hostname: '10.1.0.1', port: 81, host: '10.1.0.1:81' })
  })

  it("answers Traefik's status text for transport failures", async () => {
    for (const [err, status, body] of [
      [new ProxyError('unreachable', 'refused'), 502, 'Bad Gateway'],
      [new ProxyError('timeout', 'slow'), 504, 'Gateway Timeout'],
      [new ProxyError('canceled', 'gone'), 499, 'Client Closed Request'],
      [new Error('bug'), 500, 'Internal Server Error'],
    ] as const) {
      const proxy = reverseProxy(server('http://10.1.0.1'), {
        target: 'workerd',
        passHostHeader: false,
        transport: null,
        fetchVia: async () => {
          throw err
        },
      })
      const res = await proxy(request())
      expect([res.status, await res.text()]).toEqual([status, body])
    }
  })

  it('removes hop-by-hop headers from the response', async () => {
    const { res } = await through(server('http://10.1.0.1'), {
      passHostHeader: false,
      fetchVia: async () => new Response('ok', { headers: { connection: 'x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'x-keep': '1' } }),
    })
    expect(Object.fromEntries(res.headers)).toEqual({ 'content-type': 'text/plain;charset=UTF-8', 'x-keep': '1' })
  })
})
