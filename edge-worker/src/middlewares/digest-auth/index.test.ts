/**
 * digestAuth: Traefik's digest_auth_test.go tables (transcribed in ./cases.json) through the
 * real pipeline with an RFC 2617 client (challenge, then the qop=auth response), the users
 * file given as the compiler gives a Secret's lines; then nonce reuse, expiry and the realm.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { md5 } from '@noble/hashes/legacy.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { describe, expect, it } from 'vitest'
import { withFileUsers } from '../../../../test/support/middleware-cases.ts'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { digestParams } from './params.ts'
import { digestAuth } from './index.ts'
import { nonces, NONCE_LIFETIME_MS } from './nonce.ts'

interface DigestCase {
  source: string
  config: Record<string, unknown>
  configError?: boolean
  usersFileContent?: string
  basic?: [string, string]
  digest?: [string, string]
  expectStatus?: number
  expectBody?: string
}

const cases = JSON.parse(readFileSync(join(import.meta.dirname, 'cases.json'), 'utf8')) as DigestCase[]
const h = (s: string) => bytesToHex(md5(new TextEncoder().encode(s)))
const context = { name: 'mw', edge: { target: 'workerd' as const, env: {}, log: () => {} } }

function edge(config: Record<string, unknown>) {
  const seen: EdgeRequest[] = []
  const handler = chain(
    [{ name: 'mw', type: 'digestAuth', config }],
    async (req) => {
      seen.push({ ...req, headers: new Headers(req.headers) })
      return new Response('traefik\n')
    },
    context.edge,
  )
  const send = (authorization?: string, path = '/dir/index.html', method = 'GET') =>
    handler({
      method,
      host: 'app.example',
      path,
      query: '',
      headers: new Headers(authorization ? { authorization } : {}),
      body: null,
      clientIp: '192.0.2.1',
      tls: false,
      entryPoint: 'web',
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    })
  return { send, seen }
}

/** An RFC 2617 client: answers the challenge of `challengeResponse` with nc. */
function answer(challengeResponse: Response, user: string, password: string, opts: { nc?: string; uri?: string; method?: string } = {}): string {
  const c = digestParams(challengeResponse.headers.get('www-authenticate'))!
  const realm = c.get('realm')!
  const uri = opts.uri ?? '/dir/index.html'
  const nc = opts.nc ?? '00000001'
  const cnonce = '0a4f113b'
  const ha1 = h(`${user}:${realm}:${password}`)
  const response = h([ha1, c.get('nonce'), nc, cnonce, 'auth', h(`${opts.method ?? 'GET'}:${uri}`)].join(':'))
  return `Digest username="${user}", realm="${realm}", nonce="${c.get('nonce')}", uri="${uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", opaque="${c.get('opaque')}", algorithm=MD5`
}

describe('digestAuth: digest_auth_test.go', () => {
  for (const c of cases) {
    it(`${c.source}${c.digest ? ` ${c.digest.join('/')}` : ''}`, async () => {
      const config = withFileUsers(c.config, c.usersFileContent)
      if (c.configError) {
        expect(() => digestAuth(config as never, context)).toThrow()
        return
      }
      const { send, seen } = edge(config)
      const challenge = await send()
      expect(challenge.status).toBe(401)
      const authorization = c.basic ? `Basic ${btoa(c.basic.join(':'))}` : answer(challenge, c.digest![0], c.digest![1])
      const res = await send(authorization)
      expect(res.status).toBe(c.expectStatus)
      if (c.expectBody !== undefined) expect(await res.text()).toBe(c.expectBody)
      if (c.expectStatus !== 200) expect(seen).toHaveLength(0)
    })
  }
})

describe('digestAuth at the edge', () => {
  const users = [`alice:traefik:${h('alice:traefik:secret')}`, `alice:other:${h('alice:other:nope')}`]

  it('challenges as go-http-auth does and names the user upstream', async () => {
    const { send, seen } = edge({ users, headerField: 'X-User', removeHeader: true })
    const challenge = await send()
    expect(challenge.headers.get('www-authenticate')).toMatch(/^Digest realm="traefik", nonce="[^"]+", opaque="[^"]+", algorithm="MD5", qop="auth"$/)
    expect(await challenge.text()).toBe('401 Unauthorized\n')
    const ok = await send(answer(challenge, 'alice', 'secret'))
    expect(ok.status).toBe(200)
    expect(seen[0]!.headers.get('x-user')).toBe('alice')
    expect(seen[0]!.headers.get('authorization')).toBeNull()
  })

  it('answers stale=true to a replayed nonce count, and accepts a growing one', async () => {
    const { send } = edge({ users })
    const challenge = await send()
    expect((await send(answer(challenge, 'alice', 'secret', { nc: '00000001' }))).status).toBe(200)
    const replay = await send(answer(challenge, 'alice', 'secret', { nc: '00000001' }))
    expect(replay.status).toBe(401)
    expect(replay.headers.get('www-authenticate')).toMatch(/, stale=true$/)
    expect((await send(answer(challenge, 'alice', 'secret', { nc: '00000002' }))).status).toBe(200)
  })

  it('recognises its nonces in any isolate (same users), for a bounded time', () => {
    const a = nonces('k')
    const b = nonces('k')
    const issued = a.issue(1_000_000)
    expect(b.check(issued, 1, 1_000_001)).toBe('ok')
    expect(b.opaque).toBe(a.opaque)
    expect(b.check(issued, 2, 1_000_000 + NONCE_LIFETIME_MS)).toBe('stale')
    expect(nonces('other').check(issued, 1, 1_000_001)).toBe('invalid')
  })

  it('accepts a uri that is a prefix of the request path, as go-http-auth (TestAuthDigest "valid request in subpath")', async () => {
    const { send } = edge({ users })
    const challenge = await send(undefined, '/t3')
    expect((await send(answer(challenge, 'alice', 'secret', { uri: '/' }), '/t3')).status).toBe(200)
    expect((await send(answer(challenge, 'alice', 'secret', { uri: '/t2', nc: '00000002' }), '/t3')).status).toBe(401)
    expect((await send(answer(challenge, 'alice', 'secret', { uri: '/t2/deeper', nc: '00000003' }), '/t2')).status).toBe(401)
  })

  it('refuses a wrong password, another realm, another method or uri, and a foreign opaque', async () => {
    const { send } = edge({ users })
    const challenge = await send()
    expect((await send(answer(challenge, 'alice', 'wrong'))).status).toBe(401)
    expect((await send(answer(challenge, 'alice', 'secret', { uri: '/elsewhere' }))).status).toBe(401)
    expect((await send(answer(challenge, 'alice', 'secret', { method: 'POST' }))).status).toBe(401)
    expect((await send(answer(challenge, 'alice', 'secret').replace(/opaque="[^"]+"/, 'opaque="x"'))).status).toBe(401)
    const other = edge({ users, realm: 'other' })
    expect((await other.send(answer(await other.send(), 'alice', 'nope'))).status).toBe(200)
  })
})
