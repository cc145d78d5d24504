/**
 * forwardAuth through the real edge on workerd, with a real auth server and upstream on
 * loopback: what the auth server is asked (method, headers, X-Forwarded-*, body), what a 2xx
 * lets through (copied headers, auth cookies), what a refusal sends back (status, headers, body,
 * Location), and the errors (auth server down, body too large).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../../../shared/dynamic/types.ts'
import { startEdge, startUpstream, testCa, type TestEdge, type Upstream, type Echo } from '../../../../test/support/index.ts'
import { caseRequest } from '../../../../test/support/middleware-cases.ts'
import { chain } from '../index.ts'
import { authHeaders } from './index.ts'

let auth: Upstream
let secureAuth: Upstream
let app: Upstream
let edge: TestEdge

beforeAll(async () => {
  auth = await startUpstream({
    host: '127.0.0.5',
    handler: (req, res, recorded) => {
      const verdict = req.headers['x-auth'] ?? 'ok'
      if (verdict === 'ok') {
        res.setHeader('set-cookie', ['session=from-auth; Path=/', 'tracking=1'])
        res.writeHead(200, { 'x-user': 'alice', 'x-auth-role': 'admin', 'x-other': 'no' }).end('ignored')
      } else if (verdict === 'redirect') res.writeHead(302, { location: '/login?next=1' }).end()
      else res.writeHead(401, { 'www-authenticate': 'Bearer', 'x-reason': `body=${recorded.body}` }).end('denied by auth')
    },
  })
  // An HTTPS auth server with a certificate from the test CA, given to forwardAuth as tls.ca.
  secureAuth = await startUpstream({
    host: '127.0.0.12',
    tls: true,
    handler: (req, res) => void res.writeHead(req.headers['x-auth'] === 'deny' ? 403 : 200, { 'x-user': 'tls-user' }).end(),
  })
  app = await startUpstream({
    host: '127.0.0.6',
    handler: (_req, res, recorded) => {
      res.setHeader('set-cookie', ['session=from-app', 'app=1'])
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ server: 'app', ...recorded }))
    },
  })
  const fa = (extra: Record<string, unknown> = {}) => ({ forwardAuth: { address: `${auth.url}/check`, ...extra } })
  const config: DynamicConfig = {
    http: {
      routers: {
        plain: { rule: 'Host(`plain.example`)', service: 'app', middlewares: ['plain'] },
        copy: { rule: 'Host(`copy.example`)', service: 'app', middlewares: ['copy'] },
        trust: { rule: 'Host(`trust.example`)', service: 'app', middlewares: ['trust'] },
        body: { rule: 'Host(`body.example`)', service: 'app', middlewares: ['body'] },
        keep: { rule: 'Host(`keep.example`)', service: 'app', middlewares: ['keep'] },
        down: { rule: 'Host(`down.example`)', service: 'app', middlewares: ['down'] },
        tls: { rule: 'Host(`tls.example`)', service: 'app', middlewares: ['tls'] },
        secure: { rule: 'Host(`secure.example`)', service: 'app', middlewares: ['secure'] },
      },
      middlewares: {
        plain: fa(),
        copy: fa({
          authResponseHeaders: ['X-User'],
          authResponseHeadersRegex: '^X-Auth-',
          addAuthCookiesToResponse: ['session'],
          authRequestHeaders: ['X-Auth', 'Cookie'],
        }),
        trust: fa({ trustForwardHeader: true }),
        body: fa({ forwardBody: true, maxBodySize: 8, preserveRequestMethod: true }),
        keep: fa({ preserveLocationHeader: true }),
        down: { forwardAuth: { address: 'http://127.0.0.1:1/' } },
        tls: fa({ tls: { cert: 'client.pem', key: 'client.key' } }),
        secure: { forwardAuth: { address: `${secureAuth.url}/check`, authResponseHeaders: ['X-User'], tls: { ca: testCa().cert } } },
      },
      services: { app: { loadBalancer: { servers: [{ url: app.url }], passHostHeader: true } } },
    },
  }
  edge = await startEdge({ input: { config } })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all([auth?.close(), secureAuth?.close(), app?.close()])
})

describe('forwardAuth on workerd', () => {
  it('asks the auth server with GET and Traefik forwarded headers, then serves the request', async () => {
    const res = await edge.request('/page?q=1', {
      method: 'DELETE',
      headers: { host: 'plain.example', authorization: 'Bearer t', 'x-forwarded-method': 'PUT' },
    })
    expect(res.status).toBe(200)
    const asked = auth.requests.at(-1)!
    expect(asked.method).toBe('GET')
    expect(asked.url).toBe('/check')
    expect(asked.headers.host).toBe(`${auth.host}:${auth.port}`)
    expect(asked.headers.authorization).toBe('Bearer t')
    expect(asked.headers['x-forwarded-method']).toBe('DELETE') // the client's own is not trusted
    expect(asked.headers['x-forwarded-proto']).toBe('http')
    expect(asked.headers['x-forwarded-host']).toBe('plain.example')
    expect(asked.headers['x-forwarded-uri']).toBe('/page?q=1')
    expect(asked.headers['x-forwarded-for']).toBe('127.0.0.1')
    const echo = JSON.parse(res.body) as Echo
    expect(echo.method).toBe('DELETE')
    expect(echo.headers['x-user']).toBeUndefined() // nothing copied unless asked
    expect(res.headers['set-cookie']).toEqual(['session=from-app', 'app=1'])
  })

  it('copies authResponseHeaders and the regex matches onto the request, and the listed auth cookies onto the response', async () => {
    const res = await edge.request('/', { headers: { host: 'copy.example', 'x-user': 'mallory', 'x-auth-role': 'forged', 'x-dropped': 'yes' } })
    expect(res.status).toBe(200)
    const asked = auth.requests.at(-1)!
    expect(asked.headers['x-dropped']).toBeUndefined() // authRequestHeaders: only those
    const echo = JSON.parse(res.body) as Echo
    expect(echo.headers['x-user']).toBe('alice')
    expect(echo.headers['x-auth-role']).toBe('admin')
    expect(echo.headers['x-other']).toBeUndefined()
    expect(res.headers['set-cookie']).toEqual(['app=1', 'session=from-auth; Path=/'])
  })

  it('sends a refusal back as the auth server wrote it, Location made absolute unless preserveLocationHeader', async () => {
    const denied = await edge.request('/', { headers: { host: 'plain.example', 'x-auth': 'deny' } })
    expect(denied.status).toBe(401)
    expect(denied.body).toBe('denied by auth')
    expect(denied.headers['www-authenticate']).toBe('Bearer')
    expect(app.requests.filter((r) => r.headers['x-auth'] === 'deny')).toEqual([])
    const redirected = await edge.request('/', { headers: { host: 'plain.example', 'x-auth': 'redirect' } })
    expect(redirected.status).toBe(302)
    expect(redirected.headers.location).toBe(`${auth.url}/login?next=1`)
    const kept = await edge.request('/', { headers: { host: 'keep.example', 'x-auth': 'redirect' } })
    expect(kept.headers.location).toBe('/login?next=1')
  })

  it('trusts the client forwarded headers only with trustForwardHeader', async () => {
    await edge.request('/', { headers: { host: 'trust.example', 'x-forwarded-method': 'PUT', 'x-forwarded-uri': '/orig' } })
    const asked = auth.requests.at(-1)!
    // The entry point drops X-Forwarded-* from untrusted clients before any middleware: what is
    // trusted here is what the entry point kept or set.
    expect(asked.headers['x-forwarded-method']).toBe('GET')
    expect(asked.headers['x-forwarded-uri']).toBe('/')
    expect(asked.headers['x-forwarded-proto']).toBe('http')
  })

  it('forwards the body with forwardBody (the request keeps it), 401 over maxBodySize', async () => {
    const ok = await edge.request('/', { method: 'POST', body: 'small', headers: { host: 'body.example', 'x-auth': 'deny' } })
    expect(ok.status).toBe(401)
    expect(ok.headers['x-reason']).toBe('body=small')
    expect(auth.requests.at(-1)!.method).toBe('POST')
    const passed = await edge.request('/', { method: 'POST', body: 'payload', headers: { host: 'body.example' } })
    expect(passed.status).toBe(200)
    expect((JSON.parse(passed.body) as Echo).body).toBe('payload')
    const seen = auth.requests.length
    const big = await edge.request('/', { method: 'POST', body: 'far too large', headers: { host: 'body.example' } })
    expect(big.status).toBe(401)
    expect(auth.requests.length).toBe(seen)
  })

  it('reaches an HTTPS auth server whose CA is given in tls.ca (the self-hosted workerd trusts it)', async () => {
    const res = await edge.request('/', { headers: { host: 'secure.example' } })
    expect(res.status).toBe(200)
    expect((JSON.parse(res.body) as Echo).headers['x-user']).toBe('tls-user')
    expect((await edge.request('/', { headers: { host: 'secure.example', 'x-auth': 'deny' } })).status).toBe(403)
  })

  it('answers 500 when the auth server cannot be reached, 501 for a client certificate', async () => {
    expect((await edge.request('/', { headers: { host: 'down.example' } })).status).toBe(500)
    expect((await edge.request('/', { headers: { host: 'tls.example' } })).status).toBe(501)
  })
})

describe('forwardAuth headers', () => {
  it('keeps the client X-Forwarded-For chain only when trusted', () => {
    const req = {
      method: 'GET',
      host: 'h',
      path: '/p',
      query: 'a=1',
      headers: new Headers({ 'x-forwarded-for': '1.2.3.4', 'x-forwarded-uri': '/x', connection: 'close' }),
      body: null,
      clientIp: '10.0.0.1',
      tls: true,
      entryPoint: 'web',
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    }
    const trusted = authHeaders(req, true, [])
    expect(trusted.get('x-forwarded-for')).toBe('1.2.3.4, 10.0.0.1')
    expect(trusted.get('x-forwarded-uri')).toBe('/x')
    expect(trusted.get('x-forwarded-proto')).toBe('https')
    expect(trusted.get('connection')).toBeNull()
    const untrusted = authHeaders(req, false, [])
    expect(untrusted.get('x-forwarded-for')).toBe('10.0.0.1')
    expect(untrusted.get('x-forwarded-uri')).toBe('/p?a=1')
  })
})

describe('forwardAuth tls.ca on Cloudflare', () => {
  it('answers 501: its fetch() trusts public CAs only', async () => {
    const handler = chain(
      [{ name: 'fa', type: 'forwardAuth', config: { address: 'https://auth.internal/', tls: { ca: 'PEM' } } }],
      async () => new Response('ok'),
      {
        target: 'cloudflare',
        env: {},
        log: () => {},
      },
    )
    expect((await handler(caseRequest({ method: 'GET', url: 'http://app.example/', headers: {} }))).status).toBe(501)
  })
})
