/**
 * basicAuth, digestAuth, ipAllowList and headers on the real workerd runtime: the users travel
 * sealed (JWE) through KV and are opened by the worker with its SECRETS_KEY; the client address
 * is the socket peer, or an X-Forwarded-For entry (ipStrategy.depth) from a trusted client;
 * CORS preflights are answered at the edge and security headers set on upstream responses.
 */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { serviceYaml, startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

// htpasswd: alice / wonderland (bcrypt), bob / test (apr1)
const ALICE = 'alice:$2y$05$DgaXc22ugW10x2HMKF/zSOCSMjxEu1L99gM9BojwofCQrRPjLoRo6'
const BOB = 'bob:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/'
const md5 = (s: string) => createHash('md5').update(s).digest('hex')
const CAROL = `carol:vault:${md5('carol:vault:s3cret')}`
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

let up: Upstream
let edge: TestEdge

function config(): DynamicConfig {
  return {
    http: {
      routers: {
        auth: { rule: 'Host(`auth.example`)', service: 'up', middlewares: ['users'] },
        local: { rule: 'Host(`local.example`)', service: 'up', middlewares: ['loopback'] },
        far: { rule: 'Host(`far.example`)', service: 'up', middlewares: ['lan'] },
        depth: { rule: 'Host(`depth.example`)', service: 'up', middlewares: ['viaProxy'] },
        digest: { rule: 'Host(`digest.example`)', service: 'up', middlewares: ['vault'] },
        api: { rule: 'Host(`api.example`)', service: 'up', middlewares: ['cors', 'secure'] },
      },
      middlewares: {
        users: { basicAuth: { users: [ALICE, BOB], realm: 'shop', headerField: 'X-Auth-User', removeHeader: true } },
        loopback: { ipAllowList: { sourceRange: ['127.0.0.1/32', '::1/128'] } },
        lan: { ipAllowList: { sourceRange: ['10.0.0.0/8'], rejectStatusCode: 404 } },
        viaProxy: { ipAllowList: { sourceRange: ['203.0.113.7'], ipStrategy: { depth: 2 } } },
        vault: { digestAuth: { users: [CAROL], realm: 'vault', headerField: 'X-Auth-User' } },
        cors: {
          headers: {
            accessControlAllowOriginList: ['https://app.example'],
            accessControlAllowMethods: ['GET', 'PUT'],
            accessControlMaxAge: 600,
            addVaryHeader: true,
          },
        },
        secure: {
          headers: {
            frameDeny: true,
            contentTypeNosniff: true,
            stsSeconds: 60,
            forceSTSHeader: true,
            allowedHosts: ['api.example'],
            customResponseHeaders: { 'X-Served-By': 'edge' },
          },
        },
      },
      services: { up: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } } },
    },
  }
}

beforeAll(async () => {
  up = await startUpstream({ name: 'up' })
  // Loopback clients are trusted: their X-Forwarded-For reaches the middlewares (ipStrategy.depth).
  edge = await startEdge({ input: { config: config() }, vars: { FORWARDED_TRUSTED_IPS: '127.0.0.1' } })
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

describe('basicAuth on workerd', () => {
  it('answers 401 with the realm without valid credentials, and never reaches the upstream', async () => {
    const before = up.requests.length
    for (const authorization of [undefined, basic('alice', 'wrong'), basic('carol', 'wonderland'), 'Basic !!']) {
      const res = await edge.request('/', { headers: { host: 'auth.example', ...(authorization ? { authorization } : {}) } })
      expect(res.status, authorization).toBe(401)
      expect(res.headers['www-authenticate']).toBe('Basic realm="shop"')
      expect(res.body).toBe('401 Unauthorized\n')
    }
    expect(up.requests.length).toBe(before)
  })

  it('lets bcrypt and apr1 users through, naming them upstream and dropping Authorization', async () => {
    for (const [user, password] of [
      ['alice', 'wonderland'],
      ['bob', 'test'],
      ['alice', 'wonderland'],
    ] as const) {
      const res = await edge.request('/', { headers: { host: 'auth.example', authorization: basic(user, password) } })
      expect(res.status, res.body).toBe(200)
      const echo = JSON.parse(res.body) as Echo
      expect(echo.headers['x-auth-user']).toBe(user)
      expect(echo.headers.authorization).toBeUndefined()
    }
  })

  it('stores no user or hash in KV: only the sealed JWE', async () => {
    const keys = await edge.store.list('')
    const values = [...(await edge.store.get(keys)).values()].join('\n')
    expect(values).toContain('"sealed":"ey')
    for (const secret of ['alice', 'bob', '$2y$05$', '$apr1$', 'H6uskkkW']) expect(values).not.toContain(secret)
  })
})

describe('ipAllowList on workerd', () => {
  it('lets the loopback client in and rejects it where only 10/8 is allowed', async () => {
    expect((await edge.request('/', { headers: { host: 'local.example' } })).status).toBe(200)
    const far = await edge.request('/', { headers: { host: 'far.example' } })
    expect([far.status, far.body]).toEqual([404, 'Not Found'])
  })

  it('reads the client from X-Forwarded-For at the configured depth', async () => {
    const ok = await edge.request('/', { headers: { host: 'depth.example', 'x-forwarded-for': '203.0.113.7, 10.1.1.1' } })
    expect(ok.status).toBe(200)
    const no = await edge.request('/', { headers: { host: 'depth.example', 'x-forwarded-for': '10.1.1.1, 203.0.113.7' } })
    expect([no.status, no.body]).toEqual([403, 'Forbidden'])
  })
})

describe('digestAuth on workerd', () => {
  it('challenges, then lets the right answer through with the user named upstream', async () => {
    const challenge = await edge.request('/dir?x=1', { headers: { host: 'digest.example' } })
    expect(challenge.status).toBe(401)
    const www = String(challenge.headers['www-authenticate'])
    const nonce = /nonce="([^"]+)"/.exec(www)![1]!
    const opaque = /opaque="([^"]+)"/.exec(www)![1]!
    const ha1 = md5('carol:vault:s3cret')
    const response = md5([ha1, nonce, '00000001', 'abc', 'auth', md5('GET:/dir?x=1')].join(':'))
    const authorization = `Digest username="carol", realm="vault", nonce="${nonce}", uri="/dir?x=1", qop=auth, nc=00000001, cnonce="abc", response="${response}", opaque="${opaque}", algorithm=MD5`
    const res = await edge.request('/dir?x=1', { headers: { host: 'digest.example', authorization } })
    expect(res.status, res.body).toBe(200)
    expect((JSON.parse(res.body) as Echo).headers['x-auth-user']).toBe('carol')
    expect((await edge.request('/dir?x=1', { headers: { host: 'digest.example', authorization: authorization.replace('carol', 'mallory') } })).status).toBe(401)
  })
})

describe('headers on workerd', () => {
  it('answers a CORS preflight at the edge without reaching the upstream', async () => {
    const before = up.requests.length
    const res = await edge.request('/items', {
      method: 'OPTIONS',
      headers: { host: 'api.example', origin: 'https://app.example', 'access-control-request-method': 'PUT' },
    })
    expect(res.status).toBe(200)
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example')
    expect(res.headers['access-control-allow-methods']).toBe('GET,PUT')
    expect(res.headers['access-control-max-age']).toBe('600')
    expect(res.body).toBe('')
    expect(up.requests.length).toBe(before)
  })

  it('sets CORS, Vary, security and custom headers on the upstream response; a foreign Host is a 500', async () => {
    const res = await edge.request('/items', { headers: { host: 'api.example', origin: 'https://app.example' } })
    expect(res.status).toBe(200)
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.example',
      vary: 'Origin',
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': 'max-age=60',
      'x-served-by': 'edge',
    })
    const bad = await edge.request('/items', { headers: { host: 'api.example:8080' } })
    expect([bad.status, bad.body]).toEqual([500, 'Bad Host\n'])
  })
})

describe('basicAuth from manifests on workerd', () => {
  it('resolves the Secret, seals it, and serves 401/200; KV never holds the password or its hash', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    const yaml = `${serviceYaml({ name: 'app', addresses: ['127.0.0.1'], port: up.port })}---
apiVersion: v1
kind: Secret
metadata: { name: dave, namespace: demo }
type: kubernetes.io/basic-auth
data: { username: ${b64('dave')}, password: ${b64('hunter2')} }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: login, namespace: demo }
spec: { basicAuth: { secret: dave, realm: manifests } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: demo }
spec:
  routes:
    - match: Host(\`yaml.example\`)
      middlewares: [{ name: login }]
      services: [{ name: app, port: 80 }]
`
    const { problems } = await edge.apply({ yaml })
    expect(problems).toEqual([])
    const denied = await edge.request('/', { headers: { host: 'yaml.example' } })
    expect([denied.status, denied.headers['www-authenticate']]).toEqual([401, 'Basic realm="manifests"'])
    expect((await edge.request('/', { headers: { host: 'yaml.example', authorization: basic('dave', 'wrong') } })).status).toBe(401)
    expect((await edge.request('/', { headers: { host: 'yaml.example', authorization: basic('dave', 'hunter2') } })).status).toBe(200)
    const values = [...(await edge.store.get(await edge.store.list(''))).values()].join('\n')
    const sha = createHash('sha1').update('hunter2').digest('base64')
    for (const secret of ['dave:', 'hunter2', sha]) expect(values).not.toContain(secret)
  })
})
