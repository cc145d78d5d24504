import { describe, expect, it } from 'vitest'
import type { TableServer } from '../../../shared/table/schema.ts'
import type { EdgeRequest } from '../request.ts'
import fc from 'fast-check'
import { directUpstreamBinding } from '../../../shared/table/upstream-bindings.ts'
import { needsHopCleanup, parseZones, reverseProxy, urlKeepsHost, urlKeepsPath, type ProxyOptions } from './index.ts'
import { ProxyError, type UpstreamRequest } from './transport.ts'
import { fetchTransportVia, type Fetch } from './fetch-transport.ts'
import { wasNotSent } from './not-sent.ts'

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
    tunnelVia: async (r) => (sent.push({ via: 'tunnel', req: r }), new Response('ok')),
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

  it('reaches servers the table marks for the tunnel through the VPC binding, with the Host Traefik would send', async () => {
    const pod = server('http://10.1.0.1:8080', { tunnel: 'header' })
    const pass = await through(pod, { target: 'cloudflare', passHostHeader: true })
    expect([pass.sent.via, pass.sent.req.url, pass.sent.req.host, pass.sent.req.hostFromUrl]).toEqual([
      'tunnel',
      'http://10.1.0.1:8080/a/b?x=1&y=2',
      'app.example',
      false,
    ])
    const own = await through(pod, { target: 'cloudflare', passHostHeader: false })
    expect([own.sent.via, own.sent.req.host]).toEqual(['tunnel', '10.1.0.1:8080'])
    // `url`: the binding is taken to write the URL's host itself, so none is set.
    const url = await through(server('http://10.1.0.1:8080', { tunnel: 'url' }), { target: 'cloudflare' })
    expect([url.sent.via, url.sent.req.hostFromUrl]).toEqual(['tunnel', true])
    const ws = await through(pod, { target: 'cloudflare' }, request({ headers: new Headers({ connection: 'Upgrade', upgrade: 'websocket' }) }))
    expect([ws.sent.via, ws.sent.req.headers.get('upgrade')]).toEqual(['tunnel', 'websocket'])
  })

  it('answers 502, retryable, when the tunnel binding is missing or cannot connect', async () => {
    const missing = reverseProxy(server('http://10.1.0.1', { tunnel: 'header' }), { target: 'cloudflare', passHostHeader: true, transport: null })
    const res = await missing(request())
    expect(res.status).toBe(502)
    const { wasNotSent } = await import('./not-sent.ts')
    expect(wasNotSent(res)).toBe(true)
  })

  it("on Cloudflare, sends the client's Host to an in-zone upstream with cf.resolveOverride (CLOUDFLARE_ZONES)", async () => {
    const zones = parseZones('example.com, .example.net')
    expect(zones).toEqual(['example.com', 'example.net'])
    const inZone = await through(server('https://origin.example.com:8443'), { target: 'cloudflare', zones }, request({ host: 'app.example.net' }))
    expect([inZone.sent.req.url, inZone.sent.req.resolveOverride, inZone.sent.req.host]).toEqual([
      'https://app.example.net:8443/a/b?x=1&y=2',
      'origin.example.com',
      'app.example.net',
    ])
    // The client's host outside the zones, the upstream outside them, or passHostHeader off: the server's own URL.
    for (const [url, host, pass] of [
      ['https://origin.example.com', 'app.other.org', true],
      ['https://origin.other.org', 'app.example.com', true],
      ['https://origin.example.com', 'app.example.com', false],
    ] as const) {
      const plain = await through(server(url), { target: 'cloudflare', zones, passHostHeader: pass }, request({ host }))
      expect([plain.sent.req.url.startsWith(url), plain.sent.req.resolveOverride]).toEqual([true, undefined])
    }
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

  it("sends the client Host in the URL through a direct upstream's binding, when the URL keeps it as sent", async () => {
    const direct = { fetch: async () => new Response('direct') }
    const env = { [directUpstreamBinding('10.1.0.1:8080')]: direct }
    const pass = await through(server('http://10.1.0.1:8080'), { env })
    expect([pass.sent.via, pass.sent.req.url, pass.sent.req.channel, pass.sent.req.hostFromUrl]).toEqual([
      'fetch',
      'http://app.example/a/b?x=1&y=2',
      direct,
      true,
    ])
    // A Host the URL would rewrite (case, default port) goes over the socket, as sent.
    const upper = await through(server('http://10.1.0.1:8080'), { env }, request({ host: 'App.example' }))
    expect([upper.sent.via, upper.sent.req.host]).toEqual(['socket', 'App.example'])
    // Not for HTTPS servers, nor for a transport with its own network.
    expect((await through(server('https://10.1.0.1:8080'), { env: { [directUpstreamBinding('10.1.0.1:8080')]: direct } })).sent.via).toBe('socket')
  })
})

describe('reverse proxy over a fetch transport (one reaction per request: its unguarded half)', () => {
  const fetchProxy = (fetcher: Fetch, transport: ProxyOptions['transport'] = null) =>
    reverseProxy(server('http://10.1.0.1:8080'), { target: 'workerd', passHostHeader: false, transport, fetchVia: fetchTransportVia(fetcher) })

  it('fetches the server URL with the manual redirect mode and answers what the upstream did, hop-by-hop headers removed', async () => {
    const seen: Array<[string, RequestInit]> = []
    const proxy = fetchProxy(async (url, init) => (seen.push([url, init]), new Response('up', { status: 201, headers: { connection: 'x-hop', 'x-hop': '1' } })))
    const res = await proxy(request())
    expect([res.status, await res.text(), res.headers.has('x-hop')]).toEqual([201, 'up', false])
    expect([seen[0]![0], seen[0]![1].redirect, seen[0]![1].method, (seen[0]![1].headers as Headers).get('x-forwarded-for')]).toEqual([
      'http://10.1.0.1:8080/a/b?x=1&y=2',
      'manual',
      'GET',
      '10.0.0.1',
    ])
  })

  it("answers 502 (not sent, so retried) for a failed fetch, 499 when the client went away, a ProxyError's own status", async () => {
    const refused = await fetchProxy(async () => {
      throw new TypeError('connection refused')
    })(request())
    expect([refused.status, await refused.text(), wasNotSent(refused)]).toEqual([502, 'Bad Gateway', true])
    const gone = new AbortController()
    gone.abort()
    const canceled = await fetchProxy(async () => {
      throw new TypeError('aborted')
    })(request({ signal: gone.signal }))
    expect([canceled.status, wasNotSent(canceled)]).toEqual([499, false])
    const own = await fetchProxy(async () => {
      throw new ProxyError('timeout', 'slow')
    })(request())
    expect(own.status).toBe(504)
  })

  it('keeps the guarded path for a response-header deadline', async () => {
    const slow = fetchProxy(() => new Promise(() => {}), { responseHeaderTimeoutMs: 20 } as ProxyOptions['transport'])
    const res = await slow(request())
    expect([res.status, await res.text()]).toEqual([504, 'Gateway Timeout'])
  })
})

describe('needsHopCleanup', () => {
  it('reads Connection as the split per token did', () => {
    const byTokens = (c: string) => c.split(',').some((t) => !/^\s*(keep-alive|close)\s*$/i.test(t))
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('keep-alive', 'Keep-Alive', 'close', 'CLOSE', ',', ' ', '\t', 'x', 'upgrade', '-') }), (c) => {
        expect(needsHopCleanup(new Headers({ connection: c })), JSON.stringify(c)).toBe(byTokens(c.trim()))
      }),
      { numRuns: 2000 },
    )
    expect(needsHopCleanup(new Headers({ connection: 'keep-alive' }))).toBe(false)
    expect(needsHopCleanup(new Headers({ connection: 'close, x-hop' }))).toBe(true)
    expect(needsHopCleanup(new Headers({ te: 'trailers' }))).toBe(true)
    expect(needsHopCleanup(new Headers({ te: 'trailers' }), true)).toBe(false)
    expect(needsHopCleanup(new Headers())).toBe(false)
  })
})

describe('urlKeepsPath', () => {
  it('holds exactly when http://h/PATH parses back to PATH (dot segments, plain or escaped)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('/', '.', '%2e', '%2E', 'a', '%41', '?', '..') }), (tail) => {
        const target = `/${tail}`
        expect(urlKeepsPath(target), target).toBe(new URL(`http://h${target}`).href === `http://h${target}`)
      }),
      { numRuns: 3000 },
    )
    for (const t of ['/', '/.well-known/x', '/a..b/c.', '/x?y=/../z']) expect(urlKeepsPath(t), t).toBe(true)
    for (const t of ['/x/../y', '/./a', '/%2e%2E/a', '/a/.', '/.%2e?q']) expect(urlKeepsPath(t), t).toBe(false)
  })
})

describe('urlKeepsHost', () => {
  it('holds exactly when http://HOST parses back to HOST', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.domain(),
          fc.ipV4(),
          fc.ipV4Extended(),
          fc.tuple(fc.domain(), fc.integer({ min: 0, max: 70000 })).map(([d, p]) => `${d}:${p}`),
          fc.tuple(fc.ipV4Extended(), fc.constantFrom('', ':80', ':8080', ':080')).map(([d, p]) => d + p),
          fc.string({ unit: fc.constantFrom('a', 'B', '.', '-', '_', '0', '9', ':', 'x', '%', '@') }),
        ),
        (host) => {
          if (!urlKeepsHost(host)) return
          expect(new URL(`http://${host}/`).host).toBe(host)
        },
      ),
      { numRuns: 3000 },
    )
    for (const host of ['app.example', 'app.example:8080', '10.0.0.1', 'a_b.example.', 'x-y']) expect(urlKeepsHost(host), host).toBe(true)
    for (const host of ['App.example', 'app.example:80', '0x7f.1', '010.0.0.1', '1.2.3.4.', 'a b', 'a@b', '[::1]']) expect(urlKeepsHost(host), host).toBe(false)
  })
})
