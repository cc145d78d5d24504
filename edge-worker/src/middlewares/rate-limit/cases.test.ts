/**
 * rateLimit against Traefik's own tests (./cases.json): the settings TestNewRateLimiter checks,
 * through the real pipeline where they show; TestInMemoryRateLimit's load runs on a simulated
 * clock (Traefik's loop: a ticker at incomingLoad, an initial burst sent back to back, each
 * request served after its delay or dropped), counted against Traefik's bounds.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { caseRequest } from '../../../../test/support/middleware-cases.ts'
import { chain } from '../index.ts'
import { rateLimitSettings } from '../../../../shared/middlewares/rate-limit.ts'
import { sourceExtractor } from '../../../../shared/middlewares/source-criterion.ts'
import { newBucket, reserve } from '../toolkit/token-bucket.ts'

interface NewCase {
  source: string
  config: Record<string, unknown>
  expect: {
    unlimited?: boolean
    maxDelayMs?: number
    sourceOf?: { remoteAddr?: string; headers?: Record<string, string> }
    source?: string
    error?: string
    unsupported?: boolean
  }
}
interface LoadCase {
  source: string
  config: { average: number; burst?: number; period?: string }
  loadDurationMs: number
  incomingLoad: number
  burst?: number
}

const data = JSON.parse(readFileSync(join(import.meta.dirname, 'cases.json'), 'utf8')) as { new: NewCase[]; load: LoadCase[] }
const edge = { target: 'workerd' as const, env: {}, log: () => {} }
const send = (config: unknown) => chain([{ name: 'rl', type: 'rateLimit', config }], async () => new Response('ok'), edge)

describe('rateLimit: TestNewRateLimiter', () => {
  for (const c of data.new) {
    it(c.source.replace(/^.*:Test\w+\//, ''), async () => {
      const request = caseRequest({
        method: 'GET',
        url: 'http://localhost/',
        headers: c.expect.sourceOf?.headers ?? {},
        remoteAddr: c.expect.sourceOf?.remoteAddr,
      })
      if (c.expect.error) {
        expect(() => sourceExtractor('rateLimit', c.config.sourceCriterion as never, { ipStrategy: {} })).toThrow(c.expect.error)
        expect((await send(c.config)(request)).status).toBe(500)
        return
      }
      if (c.expect.unsupported) {
        expect((await send(c.config)(request)).status).toBe(501)
        return
      }
      const s = rateLimitSettings(c.config as never)
      if (c.expect.unlimited) {
        expect(s.ratePerSecond).toBe(0)
        const handler = send(c.config)
        for (let i = 0; i < 50; i++) expect((await handler(request)).status).toBe(200)
      }
      if (c.expect.maxDelayMs !== undefined) expect(s.maxDelayMs).toBe(c.expect.maxDelayMs)
      if (c.expect.source !== undefined) {
        const fallback = { ipStrategy: {} }
        expect(sourceExtractor('rateLimit', c.config.sourceCriterion as never, fallback)(request)).toBe(c.expect.source)
      }
    })
  }
})

/** One pass of Traefik's test loop (build a request, serve or drop it), in ms. */
const SPIN = 0.01

/** Traefik's test loop on a simulated clock: how many requests were served. */
function simulate(c: LoadCase): number {
  const s = rateLimitSettings(c.config as never)
  const bucket = newBucket(s.burst, 0)
  const tick = 1000 / c.incomingLoad
  let now = 0
  let served = 0
  let lastTick = 0
  // Bounded by the simulated time: every iteration costs at least SPIN.
  for (let i = 0; i < c.loadDurationMs / SPIN + 10 && now <= c.loadDurationMs; i++) {
    now += SPIN // the loop's own cost, which lets a request spinning through the burst see a refill
    const wait = reserve(bucket, s.ratePerSecond, s.burst, now, s.maxDelayMs)
    if (wait <= s.maxDelayMs) {
      now += wait // Traefik sleeps, then serves
      served++
    }
    if ((c.burst ?? 0) > 0 && served < c.burst!) continue
    // Go's ticker keeps one pending tick: proceed at once if one fell due meanwhile, else wait for the next.
    const due = Math.floor(now / tick) * tick
    if (due > lastTick) lastTick = due
    else now = lastTick = lastTick + tick
  }
  return served
}

describe('rateLimit: TestInMemoryRateLimit (simulated clock)', () => {
  for (const c of data.load) {
    it(c.source.replace(/^.*:Test\w+\//, ''), () => {
      const s = rateLimitSettings(c.config as never)
      const want = Math.trunc(s.ratePerSecond * (c.loadDurationMs / 1000)) + s.burst
      const served = simulate(c)
      expect(served).toBeLessThanOrEqual(Math.trunc((want * 102) / 100))
      expect(served).toBeGreaterThanOrEqual(Math.trunc((want * 95) / 100))
    })
  }
})
