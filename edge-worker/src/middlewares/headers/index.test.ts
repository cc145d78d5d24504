/**
 * headers: Traefik's cases (middlewares.json) through the real pipeline, then the parts its
 * tables leave out: HSTS and HPKP only over HTTPS (or sslProxyHeaders), hostsProxyHeaders,
 * isDevelopment, the deprecated SSL redirects, credentials with wildcards, and the order in
 * which the security, custom and CORS headers land on a response.
 */
import { describe, expect, it } from 'vitest'
import { middlewareCases, runCase, type MiddlewareCase } from '../../../../test/support/middleware-cases.ts'
import { headers } from './index.ts'

const cases = middlewareCases('headers')

describe('headers: middlewares.json', () => {
  it('has every case', () => expect(cases.length).toBe(39))
  for (const c of cases) {
    it(c.source, async () => {
      if (c.configError) {
        expect(() => headers(c.config as never)).toThrow()
        return
      }
      const run = await runCase(c)
      if (Object.keys(c.config).length === 0) {
        // Drives Traefik's inner NewHeader; its New refuses an empty configuration: the route answers 500.
        expect(run.response.status).toBe(500)
        return
      }
      expect(run.response.status).toBe(c.expect!.status)
      if (c.expect!.forwardedToNext === false || c.expect!.status !== 200) expect(run.upstream).toBeNull()
      if (c.expect!.responseHeaders) {
        const got = Object.fromEntries([...run.response.headers].filter(([k]) => k !== 'content-type'))
        const want = Object.fromEntries(Object.entries(c.expect!.responseHeaders).map(([k, v]) => [k.toLowerCase(), v]))
        if (c.expect!.responseHeadersExact) expect(got).toEqual(want)
        else expect(got).toMatchObject(want)
      }
      for (const [k, v] of Object.entries(c.expect!.upstreamHeaders ?? {})) expect(run.upstream!.headers.get(k), k).toBe(v)
      if (c.expect!.upstreamHost !== undefined) expect(run.upstream!.host).toBe(c.expect!.upstreamHost)
    })
  }
})

const request = (
  config: Record<string, unknown>,
  url = 'http://app.example/p?q=1',
  h: Record<string, string> = {},
  method = 'GET',
  upstreamHeaders: Record<string, string> = {},
): MiddlewareCase => ({
  middleware: 'headers',
  config,
  source: 'edge',
  request: { method, url, headers: h },
  upstreamResponse: { status: 200, headers: upstreamHeaders },
})

describe('headers: security', () => {
  const sts = { stsSeconds: 31536000, stsIncludeSubdomains: true, stsPreload: true, publicKey: 'pin-sha256="x"; max-age=5', frameDeny: true }

  it('sends HSTS and HPKP over HTTPS only, or when sslProxyHeaders say the client used HTTPS', async () => {
    const plain = await runCase(request(sts))
    expect(plain.response.headers.get('strict-transport-security')).toBeNull()
    expect(plain.response.headers.get('public-key-pins')).toBeNull()
    expect(plain.response.headers.get('x-frame-options')).toBe('DENY')
    const tls = await runCase(request(sts, 'https://app.example/'))
    expect(tls.response.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains; preload')
    expect(tls.response.headers.get('public-key-pins')).toBe('pin-sha256="x"; max-age=5')
    const proxied = await runCase(request({ ...sts, sslProxyHeaders: { 'X-Forwarded-Proto': 'https' } }, undefined, { 'X-Forwarded-Proto': 'https' }))
    expect(proxied.response.headers.get('strict-transport-security')).toMatch(/^max-age=31536000/)
    const dev = await runCase(request({ ...sts, isDevelopment: true, forceSTSHeader: true }, 'https://app.example/'))
    expect(dev.response.headers.get('strict-transport-security')).toBeNull()
  })

  it('overrides the upstream values, and custom response headers override the security ones', async () => {
    const run = await runCase(
      request(
        {
          contentTypeNosniff: true,
          browserXssFilter: true,
          referrerPolicy: 'no-referrer',
          contentSecurityPolicy: "default-src 'self'",
          contentSecurityPolicyReportOnly: 'img-src *',
          customResponseHeaders: { 'X-Frame-Options': 'SAMEORIGIN' },
          frameDeny: true,
        },
        undefined,
        {},
        'GET',
        { 'X-Content-Type-Options': 'sniff', 'Referrer-Policy': 'unsafe-url' },
      ),
    )
    expect(Object.fromEntries(run.response.headers)).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-xss-protection': '1; mode=block',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'self'",
      'content-security-policy-report-only': 'img-src *',
      'x-frame-options': 'SAMEORIGIN',
    })
  })

  it('checks allowedHosts against the first hostsProxyHeaders value present, case-insensitively; Bad Host is a 500', async () => {
    const cfg = { allowedHosts: ['App.Example'], hostsProxyHeaders: ['X-Forwarded-Host'] }
    expect((await runCase(request(cfg))).response.status).toBe(200)
    const bad = await runCase(request(cfg, undefined, { 'X-Forwarded-Host': 'evil.example' }))
    expect([bad.response.status, bad.body, bad.upstream]).toEqual([500, 'Bad Host\n', null])
    expect((await runCase(request({ ...cfg, isDevelopment: true }, undefined, { 'X-Forwarded-Host': 'evil.example' }))).response.status).toBe(200)
  })

  it('redirects plain HTTP to HTTPS (deprecated sslRedirect), permanently or not, to sslHost when set', async () => {
    const run = await runCase(request({ sslRedirect: true }))
    expect([run.response.status, run.response.headers.get('location'), run.upstream]).toEqual([301, 'https://app.example/p?q=1', null])
    const temp = await runCase(request({ sslRedirect: true, sslTemporaryRedirect: true, sslHost: 'secure.example' }))
    expect([temp.response.status, temp.response.headers.get('location')]).toEqual([307, 'https://secure.example/p?q=1'])
    expect((await runCase(request({ sslRedirect: true }, 'https://app.example/'))).response.status).toBe(200)
  })
})

describe('headers: CORS', () => {
  const preflight = { Origin: 'https://a.example', 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'x-one,x-two' }

  it('echoes the asked method and headers for wildcards with credentials, and keeps `*` exposure off', async () => {
    const cfg = {
      accessControlAllowOriginList: ['*'],
      accessControlAllowMethods: ['*'],
      accessControlAllowHeaders: ['*'],
      accessControlExposeHeaders: ['*'],
      accessControlAllowCredentials: true,
    }
    const run = await runCase(request(cfg, undefined, preflight, 'OPTIONS'))
    expect(run.upstream).toBeNull()
    expect(Object.fromEntries(run.response.headers)).toEqual({
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'x-one,x-two',
      'access-control-allow-methods': 'PATCH',
      'access-control-allow-origin': 'https://a.example',
      'content-length': '0',
    })
  })

  it('forwards an OPTIONS request that is not a preflight', async () => {
    const run = await runCase(request({ accessControlAllowOriginList: ['*'] }, undefined, { Origin: 'https://a.example' }, 'OPTIONS'))
    expect(run.upstream).not.toBeNull()
    expect(run.response.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('decorates the security check answers too, as Traefik wraps them', async () => {
    const run = await runCase(
      request({ allowedHosts: ['other.example'], accessControlAllowOriginList: ['https://a.example'], addVaryHeader: true }, undefined, {
        Origin: 'https://a.example',
      }),
    )
    expect(run.response.status).toBe(500)
    expect(run.response.headers.get('access-control-allow-origin')).toBe('https://a.example')
    expect(run.response.headers.get('vary')).toBe('Origin')
  })

  it('refuses an origin regexp Go would not compile, naming it', () => {
    expect(() => headers({ accessControlAllowOriginListRegex: ['ok', '(?<=x)y'] })).toThrow(/accessControlAllowOriginListRegex\[1\]/)
  })
})
