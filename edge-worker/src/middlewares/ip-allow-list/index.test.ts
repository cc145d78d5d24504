/**
 * ipAllowList: Traefik's cases (middlewares.json) with the client address taken from the case's
 * RemoteAddr, plus the strategies and reject codes through the real pipeline.
 */
import { describe, expect, it } from 'vitest'
import { middlewareCases, runCase, type MiddlewareCase } from '../../../../test/support/middleware-cases.ts'
import { ipAllowList } from './index.ts'

const cases = middlewareCases('ipAllowList')

describe('ipAllowList: middlewares.json', () => {
  it('has every case', () => expect(cases.length).toBe(15))
  for (const c of cases) {
    it(c.source, async () => {
      if (c.configError !== undefined && !c.request) {
        if (c.configError) expect(() => ipAllowList(c.config as never)).toThrow()
        else expect(() => ipAllowList(c.config as never)).not.toThrow()
        return
      }
      const run = await runCase(c)
      expect(run.response.status).toBe(c.expect!.status)
      if (c.expect!.body !== undefined) expect(run.body).toBe(c.expect!.body)
      expect(run.upstream === null).toBe(c.expect!.status !== 200)
    })
  }
})

const base = (config: Record<string, unknown>, remoteAddr: string, headers: Record<string, string> = {}): MiddlewareCase => ({
  middleware: 'ipAllowList',
  config,
  source: 'edge',
  request: { method: 'GET', url: 'http://app.example/', headers, remoteAddr },
})

describe('ipAllowList at the edge', () => {
  it('matches IPv6 clients against IPv6 ranges and IPv4 against IPv4 ones', async () => {
    const cfg = { sourceRange: ['2001:db8::/32', '10.0.0.0/8'] }
    expect((await runCase(base(cfg, '[2001:db8::5]:1'))).response.status).toBe(200)
    expect((await runCase(base(cfg, '10.9.9.9:1'))).response.status).toBe(200)
    expect((await runCase(base(cfg, '[2001:db9::5]:1'))).response.status).toBe(403)
    expect((await runCase(base(cfg, '[::ffff:10.1.1.1]:1'))).response.status).toBe(200)
  })

  it('takes the depth-th X-Forwarded-For entry, or the rightmost not excluded', async () => {
    const depth = { sourceRange: ['192.0.2.7'], ipStrategy: { depth: 2 } }
    expect((await runCase(base(depth, '10.0.0.1:1', { 'x-forwarded-for': '192.0.2.7, 10.0.0.9' }))).response.status).toBe(200)
    expect((await runCase(base(depth, '192.0.2.7:1', { 'x-forwarded-for': '10.0.0.9' }))).response.status).toBe(403)
    const pool = { sourceRange: ['192.0.2.7'], ipStrategy: { excludedIPs: ['10.0.0.0/8'] } }
    expect((await runCase(base(pool, '10.0.0.1:1', { 'x-forwarded-for': '192.0.2.7, 10.0.0.9, 10.0.0.8' }))).response.status).toBe(200)
    expect((await runCase(base(pool, '10.0.0.1:1', { 'x-forwarded-for': '192.0.2.8, 10.0.0.9' }))).response.status).toBe(403)
  })

  it('answers the configured reject status with its text; a bad configuration answers 500', async () => {
    const run = await runCase(base({ sourceRange: ['10.0.0.0/8'], rejectStatusCode: 429 }, '192.0.2.1:1'))
    expect([run.response.status, run.body]).toEqual([429, 'Too Many Requests'])
    const broken = await runCase(base({ sourceRange: ['10.0.0.0/33'] }, '10.0.0.1:1'))
    expect(broken.response.status).toBe(500)
    expect(broken.upstream).toBeNull()
    expect(() => ipAllowList({ sourceRange: ['10.0.0.0/33'] })).toThrow(/sourceRange.*10\.0\.0\.0\/33/)
  })
})
