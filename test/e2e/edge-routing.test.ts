/**
 * The edge on the real workerd runtime, routing to real upstream servers on loopback: router
 * selection (hosts, priorities, entry points), forwarded headers, the Host the upstream receives
 * (passHostHeader), middlewares, and Traefik's answers when nothing matches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

let a: Upstream
let b: Upstream
let edge: TestEdge

const lb = (up: () => Upstream, passHostHeader = true) => ({ loadBalancer: { servers: [{ url: up().url }], passHostHeader } })

function config(): DynamicConfig {
  return {
    http: {
      routers: {
        host: { rule: 'Host(`app.example`)', service: 'a', entryPoints: ['web'] },
        api: { rule: 'Host(`app.example`) && PathPrefix(`/api`)', service: 'b', middlewares: ['strip'], entryPoints: ['web'] },
        low: { rule: 'PathPrefix(`/`)', service: 'b', priority: 1 },
        serverHost: { rule: 'Host(`own.example`)', service: 'own' },
        admin: { rule: 'Host(`app.example`) && Path(`/admin`)', service: 'b', entryPoints: ['admin'] },
        headers: { rule: 'Host(`hdr.example`)', service: 'a', middlewares: ['hdr'] },
        locked: { rule: 'Host(`locked.example`)', service: 'a', middlewares: ['auth'] },
      },
      middlewares: {
        strip: { stripPrefix: { prefixes: ['/api'] } },
        hdr: {
          headers: { customRequestHeaders: { 'X-Added': 'yes', 'X-Forwarded-For': '' }, customResponseHeaders: { 'X-Served-By': 'edge', 'X-Upstream': '' } },
        },
        // A plugin: a middleware type the edge will never run.
        auth: { plugin: { demo: {} } },
      },
      services: { a: lb(() => a), b: lb(() => b), own: lb(() => a, false) },
    },
  }
}

beforeAll(async () => {
  ;[a, b] = await Promise.all([startUpstream({ host: '127.0.0.2', name: 'a' }), startUpstream({ host: '127.0.0.3', name: 'b' })])
  edge = await startEdge({ input: { config: config() }, entryPoints: ['web', 'admin'] })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all([a?.close(), b?.close()])
})

async function echo(
  path: string,
  headers: Record<string, string>,
  entryPoint?: string,
): Promise<{ status: number; echo: Echo; headers: Record<string, unknown> }> {
  const res = await edge.request(path, { headers, entryPoint })
  expect(res.status, res.body).toBe(200)
  return { status: res.status, echo: JSON.parse(res.body) as Echo, headers: res.headers }
}

describe('edge routing on workerd', () => {
  it('picks the router by host and priority, and strips the prefix on the way', async () => {
    expect((await echo('/page', { host: 'app.example' })).echo.server).toBe('a')
    const api = await echo('/api/users?x=1;y=2', { host: 'app.example' })
    expect(api.echo.server).toBe('b')
    expect(api.echo.url).toBe('/users?x=1&y=2')
    expect(api.echo.headers['x-forwarded-prefix']).toBe('/api')
    expect((await echo('/anything', { host: 'other.example' })).echo.server).toBe('b')
  })

  it('serves a router only on its entry points', async () => {
    expect((await echo('/admin', { host: 'app.example' })).echo.server).toBe('a')
    expect((await echo('/admin', { host: 'app.example' }, 'admin')).echo.server).toBe('b')
    const res = await edge.request('/page', { headers: { host: 'app.example' }, entryPoint: 'admin' })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).server).toBe('b') // only `low` (no entry points: all) is left there
  })

  it('sends the client Host upstream by default (passHostHeader) and the server host without it', async () => {
    const passed = await echo('/x', { host: 'App.Example:8080' })
    expect(passed.echo.headers.host).toBe('App.Example:8080')
    const own = await echo('/x', { host: 'own.example' })
    expect(own.echo.headers.host).toBe(`${a.host}:${a.port}`)
  })

  it('writes Traefik forwarded headers and drops the ones an untrusted client sent', async () => {
    const { echo: e } = await echo('/x', {
      host: 'app.example',
      'x-forwarded-for': '6.6.6.6',
      'x-real-ip': '6.6.6.6',
      'x-forwarded-host': 'evil.example',
      x_forwarded_proto: 'https',
      connection: 'x-drop-me',
      'x-drop-me': '1',
    })
    expect(e.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(e.headers['x-real-ip']).toBe('127.0.0.1')
    expect(e.headers['x-forwarded-host']).toBe('app.example')
    expect(e.headers['x-forwarded-proto']).toBe('http')
    expect(e.headers['x-forwarded-port']).toBe('80')
    expect(e.headers['x-forwarded-server']).toBe('traefik-edge')
    expect(e.headers['x_forwarded_proto']).toBeUndefined()
    expect(e.headers['x-drop-me']).toBeUndefined()
  })

  it('behind a path middleware, still sends one X-Forwarded-For and no hop-by-hop header', async () => {
    // stripPrefix keeps the headers clean (the proxy skips its cleanup); a request that is not clean still gets it.
    const plain = await echo('/api/a', { host: 'app.example', 'x-forwarded-for': '6.6.6.6' })
    expect(plain.echo.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(plain.echo.headers['x-forwarded-prefix']).toBe('/api')
    const hop = await echo('/api/b', {
      host: 'app.example',
      'keep-alive': 'timeout=5',
      te: 'trailers, gzip',
      'proxy-authorization': 'x',
      connection: 'x-hop',
      'x-hop': '1',
    })
    expect(hop.echo.headers['x-forwarded-for']).toBe('127.0.0.1')
    for (const name of ['keep-alive', 'proxy-authorization', 'x-hop']) expect(hop.echo.headers[name], name).toBeUndefined()
    expect(hop.echo.headers.te).toBe('trailers')
  })

  it('applies custom request and response headers', async () => {
    const res = await echo('/x', { host: 'hdr.example' })
    expect(res.echo.headers['x-added']).toBe('yes')
    expect(res.echo.headers['x-forwarded-for']).toBeUndefined()
    expect(res.headers['x-served-by']).toBe('edge')
    expect(res.headers['x-upstream']).toBeUndefined()
  })

  it('answers 404 page not found when no router matches', async () => {
    const miss = await startEdge({ input: { config: { http: { routers: {}, services: {} } } } })
    try {
      const r = await miss.request('/', { headers: { host: 'nothing.example' } })
      expect(r.status).toBe(404)
      expect(r.body).toBe('404 page not found\n')
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
    } finally {
      await miss.stop()
    }
  })

  it("answers 400 for a malformed escape in the path, as Traefik's muxer does", async () => {
    const res = await edge.request('/bad%zzpath', { headers: { host: 'app.example' } })
    expect(res.status).toBe(400)
  })

  it('answers 503 with a clear body while no table is published', async () => {
    const empty = await startEdge()
    try {
      const res = await empty.request('/', { headers: { host: 'app.example' } })
      expect(res.status).toBe(503)
      expect(res.body).toMatch(/^no route table: /)
    } finally {
      await empty.stop()
    }
  })

  it('answers 501 for a route whose middleware the edge lacks, and never reaches the upstream', async () => {
    const before = a.requests.length
    const res = await edge.request('/', { headers: { host: 'locked.example' } })
    expect(res.status).toBe(501)
    expect(a.requests.length).toBe(before)
  })
})
