/**
 * basicAuth: Traefik's cases (middlewares.json: its tests and go-http-auth's hash vectors for
 * MD5-crypt, apr1, {SHA} and bcrypt) through the real pipeline, the users file cases with the
 * file's lines given as the compiler gives a Secret's (file users first), and sealed users.
 */
import { describe, expect, it } from 'vitest'
import { middlewareCases, runCase, withFileUsers, type MiddlewareCase } from '../../../../test/support/middleware-cases.ts'
import { basicAuth } from './index.ts'
import { checkSecret } from './htpasswd.ts'

const cases = middlewareCases('basicAuth')
const context = { name: 'mw', edge: { target: 'workerd' as const, env: {}, log: () => {} } }

describe('basicAuth: middlewares.json', () => {
  it('has every case', () => expect(cases.length).toBe(60))
  for (const c of cases) {
    it(`${c.source}${c.request ? ` ${c.request.headers.Authorization}` : ''}`, async () => {
      const config = withFileUsers(c.config, c.usersFileContent)
      if (c.configError) {
        expect(() => basicAuth(config as never, context)).toThrow()
        return
      }
      const run = await runCase(c, config)
      expect(run.response.status).toBe(c.expect!.status)
      for (const [k, v] of Object.entries(c.expect!.responseHeaders ?? {})) expect(run.response.headers.get(k)).toBe(v)
      if (c.expect!.status === 401) {
        expect(run.upstream).toBeNull()
        expect(run.body).toBe('401 Unauthorized\n')
        expect(run.response.headers.get('www-authenticate')).toBe(`Basic realm="${(config.realm as string) || 'traefik'}"`)
      }
      if (c.expect!.body !== undefined) expect(run.body).toBe(c.expect!.body)
      for (const [k, v] of Object.entries(c.expect!.upstreamHeaders ?? {})) expect(run.upstream!.headers.get(k)).toBe(v)
    })
  }
})

describe('basicAuth at the edge', () => {
  const apr1 = 'test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/' // test:test
  const req = (authorization?: string): MiddlewareCase => ({
    middleware: 'basicAuth',
    config: {},
    source: 'edge',
    request: { method: 'GET', url: 'http://app.example/', headers: authorization ? { Authorization: authorization } : {} },
  })

  it('answers 401 without credentials or with malformed ones, with the realm', async () => {
    const config = { users: [apr1], realm: 'shop' }
    for (const auth of [undefined, 'Bearer x', 'Basic dGVzdDp0ZXN0dA', 'Basic dGVzdA==']) {
      const run = await runCase(req(auth), config)
      expect(run.response.status, auth).toBe(401)
      expect(run.response.headers.get('www-authenticate')).toBe('Basic realm="shop"')
    }
    expect((await runCase(req('bAsIc dGVzdDp0ZXN0'), config)).response.status).toBe(200)
  })

  it('refuses a usersFile (the edge reads no files) as unimplemented', async () => {
    const run = await runCase(req('Basic dGVzdDp0ZXN0'), { usersFile: '/etc/htpasswd' })
    expect(run.response.status).toBe(501)
  })

  it('gives the same answer from the verification cache', () => {
    const bcrypt = '$2a$04$.8sTYfcxbSplCtoxt5TdJOgpBYkarKtZYsYfYxQ1edbYRuO1DNi0e'
    const pw = new TextEncoder().encode('test')
    expect(checkSecret(pw, bcrypt)).toBe(true)
    expect(checkSecret(pw, bcrypt.replace('$2a$', '$2x$'))).toBe(true)
    expect(checkSecret(new TextEncoder().encode('tesT'), bcrypt)).toBe(false)
  })
})
