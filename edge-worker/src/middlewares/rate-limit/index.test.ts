/**
 * rateLimit through the real pipeline: Traefik's token bucket (burst, refill, average 0), its
 * 429 (Retry-After, X-Retry-In, body), the short delay within maxDelay, sources per
 * sourceCriterion, and the configurations Traefik refuses.
 */
import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { rateLimitSettings } from '../../../../shared/middlewares/rate-limit.ts'
import { rateLimit } from './index.ts'
import { newBucket, reserve } from '../toolkit/token-bucket.ts'

const edge = { target: 'workerd' as const, env: {}, log: () => {} }

function limiter(config: Record<string, unknown>) {
  const seen: string[] = []
  const handler = chain([{ name: 'rl', type: 'rateLimit', config }], async (req) => (seen.push(req.clientIp), new Response('ok')), edge)
  const send = (clientIp = '10.0.0.1', headers: Record<string, string> = {}, host = 'app.example') =>
    handler({
      method: 'GET',
      host,
      path: '/',
      query: '',
      headers: new Headers(headers),
      body: null,
      clientIp,
      tls: false,
      entryPoint: 'web',
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    } satisfies EdgeRequest)
  return { send, seen }
}

describe('rateLimit', () => {
  it('lets the burst through, then answers 429 with the wait in Retry-After and X-Retry-In', async () => {
    const { send, seen } = limiter({ average: 1, period: '60000000000ns', burst: 3 })
    for (let i = 0; i < 3; i++) expect((await send()).status).toBe(200)
    const res = await send()
    expect(res.status).toBe(429)
    expect(await res.text()).toBe('Too Many Requests')
    expect(res.headers.get('retry-after')).toMatch(/^(59|60)$/)
    expect(res.headers.get('x-retry-in')).toMatch(/^(59|60)(\.\d+)?s$|^59\.\d+s$/)
    expect(seen.length).toBe(3)
  })

  it('keeps one bucket per client address by default, and per header or host when asked', async () => {
    const byIp = limiter({ average: 1, period: '3600000000000ns' })
    expect((await byIp.send('10.0.0.1')).status).toBe(200)
    expect((await byIp.send('10.0.0.1')).status).toBe(429)
    expect((await byIp.send('10.0.0.2')).status).toBe(200)

    const byHeader = limiter({ average: 1, period: '3600000000000ns', sourceCriterion: { requestHeaderName: 'X-Key' } })
    expect((await byHeader.send('10.0.0.1', { 'x-key': 'a' })).status).toBe(200)
    expect((await byHeader.send('10.0.0.2', { 'x-key': 'a' })).status).toBe(429)
    expect((await byHeader.send('10.0.0.2', { 'x-key': 'b' })).status).toBe(200)

    const byHost = limiter({ average: 1, period: '3600000000000ns', sourceCriterion: { requestHost: true } })
    expect((await byHost.send('10.0.0.1', {}, 'a.example')).status).toBe(200)
    expect((await byHost.send('10.0.0.2', {}, 'a.example')).status).toBe(429)
    expect((await byHost.send('10.0.0.1', {}, 'b.example')).status).toBe(200)

    const byDepth = limiter({ average: 1, period: '3600000000000ns', sourceCriterion: { ipStrategy: { depth: 1 } } })
    expect((await byDepth.send('10.0.0.1', { 'x-forwarded-for': '1.1.1.1' })).status).toBe(200)
    expect((await byDepth.send('10.0.0.1', { 'x-forwarded-for': '2.2.2.2' })).status).toBe(200)
    expect((await byDepth.send('10.0.0.9', { 'x-forwarded-for': '2.2.2.2' })).status).toBe(429)
  })

  it('does not limit with average 0', async () => {
    const { send } = limiter({ average: 0, burst: 1 })
    for (let i = 0; i < 20; i++) expect((await send()).status).toBe(200)
  })

  it('delays a request whose token comes within maxDelay instead of refusing it', async () => {
    // 100 req/s, burst 1: maxDelay is 5 ms, the second token comes 10 ms later: refused; a token
    // 4 ms away is waited for.
    const s = rateLimitSettings({ average: 100 })
    expect(s).toEqual({ ratePerSecond: 100, burst: 1, maxDelayMs: 5, ttlMs: 2000 })
    const bucket = newBucket(1, 0)
    expect(reserve(bucket, 100, 1, 0, s.maxDelayMs)).toBe(0)
    expect(reserve(bucket, 100, 1, 0, s.maxDelayMs)).toBe(10) // cancelled: nothing taken
    expect(reserve(bucket, 100, 1, 6, s.maxDelayMs)).toBeCloseTo(4)
    expect(bucket.tokens).toBeCloseTo(-0.4)
  })

  it('forgets a bucket idle for longer than its ttl (Traefik ttlmap): a full burst again', async () => {
    let now = 0
    const handler = rateLimit({ average: 1, burst: 5 }, { name: 'rl', edge }, () => now)(async () => new Response('ok'))
    const req = (): EdgeRequest => ({
      method: 'GET',
      host: 'h',
      path: '/',
      query: '',
      headers: new Headers(),
      body: null,
      clientIp: '10.0.0.1',
      tls: false,
      entryPoint: 'web',
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    })
    const statuses = async (n: number) => Promise.all(Array.from({ length: n }, async () => (await handler(req())).status))
    expect(await statuses(6)).toEqual([200, 200, 200, 200, 200, 429])
    now += 1900 // within the 2 s ttl: only the refill (1.9 tokens; the second waits 100 ms, within maxDelay)
    expect(await statuses(3)).toEqual([200, 200, 429])
    now += 2001 // idle past the ttl: forgotten
    expect(await statuses(6)).toEqual([200, 200, 200, 200, 200, 429])
  })

  it('global limits fail closed: 500 without the binding or when the object cannot be reached', async () => {
    const request = (): EdgeRequest => ({
      method: 'GET',
      host: 'h',
      path: '/',
      query: '',
      headers: new Headers(),
      body: null,
      clientIp: '10.0.0.1',
      tls: false,
      entryPoint: 'web',
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    })
    const build = (env: Record<string, unknown>) =>
      chain([{ name: 'rl', type: 'rateLimit', config: { average: 1 } }], async () => new Response('ok'), { ...edge, env })
    expect((await build({ EDGE_LIMITS: 'global' })(request())).status).toBe(500)
    const down = { idFromName: () => 'id', get: () => ({ fetch: async () => Promise.reject(new Error('object unreachable')) }) }
    const res = await build({ EDGE_LIMITS: 'global', EDGE_LIMITER: down })(request())
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('could not insert/update bucket\n')
  })

  it('reads Traefik defaults and refuses what Traefik refuses', () => {
    expect(rateLimitSettings({ average: 10, burst: 0 })).toEqual({ ratePerSecond: 10, burst: 1, maxDelayMs: 50, ttlMs: 2000 })
    expect(rateLimitSettings({ average: 1, period: '2000000000ns' })).toEqual({ ratePerSecond: 0.5, burst: 1, maxDelayMs: 500, ttlMs: 3000 })
    expect(() => rateLimitSettings({ average: 1, period: '-1000000000ns' })).toThrow('negative value not valid for period: -1s')
  })

  it('answers 500 for conflicting criteria and 501 for Redis', async () => {
    const both = limiter({ average: 1, sourceCriterion: { requestHost: true, requestHeaderName: 'X' } })
    expect((await both.send()).status).toBe(500)
    const redis = limiter({ average: 1, redis: { endpoints: ['localhost:6379'] } })
    expect((await redis.send()).status).toBe(501)
  })
})
