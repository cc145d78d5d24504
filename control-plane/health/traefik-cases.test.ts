// Traefik's own health-check tests, transcribed as data (test/data/healthcheck/*.json), run
// against this checker: defaults and fallbacks, the request a check sends, and the status a
// server ends with after a sequence of answers from a real HTTP or gRPC server on loopback.
import { afterEach, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { createServer as createH2Server, type Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { ServerHealthCheck } from '../../shared/dynamic/types.ts'
import { HealthChecker } from './checker.ts'
import { checkTarget, planOf } from './plan.ts'
import { probe } from './probe.ts'

const data = <T>(name: string): { cases: T[] } => JSON.parse(readFileSync(join(import.meta.dirname, '../../test/data/healthcheck', name), 'utf8'))

describe('TestNewServiceHealthChecker_durations', () => {
  for (const c of data<{ desc: string; config: ServerHealthCheck; interval: number; timeout: number }>('durations.json').cases) {
    it(c.desc, () => {
      const p = planOf('s', c.config, [])
      expect([p.intervalMs, p.check.timeoutMs]).toEqual([c.interval, c.timeout])
    })
  }
})

describe('TestServiceHealthChecker_newRequest', () => {
  type Case = { desc: string; targetURL: string; config: ServerHealthCheck; error?: true; target: string; hostname: string; header: string; method: string }
  for (const c of data<Case>('new-request.json').cases) {
    it(c.desc, () => {
      const { check } = planOf('s', c.config, [c.targetURL])
      if (c.error) {
        expect(() => checkTarget(c.targetURL, check)).toThrow()
        return
      }
      const target = checkTarget(c.targetURL, check)
      expect(target.href).toBe(c.target)
      expect(check.hostname || target.host).toBe(c.hostname)
      expect(check.headers['Custom-Header'] ?? '').toBe(c.header)
      expect(check.method).toBe(c.method)
    })
  }
})

describe('TestServiceHealthChecker_Launch', () => {
  type Case = { desc: string; mode?: string; status?: number; sequence: number[]; removed: number; upserted: number; final: 'UP' | 'DOWN' }
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  /** A server answering the sequence, then repeating its last answer. */
  async function server(mode: string | undefined, sequence: number[]): Promise<string> {
    let i = 0
    const next = () => sequence[Math.min(i++, sequence.length - 1)]!
    if (mode === 'grpc') {
      const h2: Http2Server = createH2Server()
      h2.on('stream', (stream) => {
        stream.on('data', () => {})
        stream.on('end', () => {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
          stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
          stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, next()]))
        })
      })
      await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r))
      closers.push(() => new Promise((r) => h2.close(() => r())))
      return `http://127.0.0.1:${(h2.address() as AddressInfo).port}`
    }
    const s: Server = createServer((_, res) => void res.writeHead(next()).end())
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    closers.push(() => new Promise((r) => s.close(() => r())))
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
  }

  for (const c of data<Case>('launch.json').cases) {
    it(c.desc, async () => {
      const url = await server(c.mode, c.sequence)
      const results: boolean[] = []
      let done: () => void
      const finished = new Promise<void>((r) => (done = r))
      const checker = new HealthChecker({
        onChange: () => {},
        probe: async (server, check, tls) => {
          try {
            await probe(server, check, tls)
            results.push(true)
          } catch (err) {
            results.push(false)
            throw err
          } finally {
            // The status is set right after the probe settles: look once the sequence is used up.
            if (results.length === c.sequence.length) setTimeout(done!, 0)
          }
        },
      })
      const healthCheck: ServerHealthCheck = {
        path: '/path',
        interval: '30ms',
        unhealthyInterval: '30ms',
        timeout: '2s',
        ...(c.mode ? { mode: c.mode } : {}),
        ...(c.status ? { status: c.status } : {}),
      }
      checker.update({ http: { services: { svc: { loadBalancer: { servers: [{ url }], passHostHeader: true, healthCheck } } } } })
      await finished
      const final = checker.state.get('svc')!.get(url)
      checker.stop()
      const first = results.slice(0, c.sequence.length)
      expect({ removed: first.filter((r) => !r).length, upserted: first.filter((r) => r).length, final: final ? 'UP' : 'DOWN' }).toEqual({
        removed: c.removed,
        upserted: c.upserted,
        final: c.final,
      })
    })
  }

  // TestDifferentIntervals: an unhealthy server is checked at unhealthyInterval, more often than a healthy one.
  it('checks unhealthy servers at unhealthyInterval and healthy ones at interval', async () => {
    const healthy = await server(undefined, [200])
    const unhealthy = await server(undefined, [503])
    const checks = new Map<string, number>()
    const checker = new HealthChecker({
      onChange: () => {},
      probe: (s, check, tls) => {
        checks.set(s, (checks.get(s) ?? 0) + 1)
        return probe(s, check, tls)
      },
    })
    const healthCheck: ServerHealthCheck = { path: '/path', interval: '200ms', unhealthyInterval: '20ms', timeout: '2s' }
    checker.update({ http: { services: { svc: { loadBalancer: { servers: [{ url: healthy }, { url: unhealthy }], passHostHeader: true, healthCheck } } } } })
    await new Promise((r) => setTimeout(r, 700))
    checker.stop()
    expect(checker.state.size).toBe(0)
    expect(checks.get(unhealthy)!).toBeGreaterThan(checks.get(healthy)! * 2)
  })
})
