// Health checks end to end, real workerd and real upstreams on loopback: the control plane's
// active checker publishes server status into the endpoints table (control-plane/health) and the
// edge's passive check takes failing servers out per isolate (edge-worker/src/health).
// Unhealthy servers leave the rotation, sticky clients move, a service with none answers 503, and
// an upstream killed and revived on the same port leaves and comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { activeHealth, type ActiveHealth } from '../../control-plane/health/active-health.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, type TestEdge } from '../support/edge.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

const INTERVAL = '200ms'
/** How long the edge may take to follow a change: interval + timeout + publish + the worker's 250 ms refresh, with slack for 2 busy cores. */
const FOLLOW_MS = 6000

const sick = new Set<string>()
async function upstream(host: string, port = 0): Promise<Upstream> {
  return startUpstream({
    host,
    port,
    name: host,
    handler: (req, res) => {
      if (req.url === '/health') return void res.writeHead(sick.has(host) ? 500 : 200).end()
      // 127.0.0.6 is broken for real traffic (its health check would pass).
      if (host === '127.0.0.6') return void res.writeHead(502).end('bad')
      res.writeHead(200, { 'x-upstream': host }).end(host)
    },
  })
}

function config([a, b, c, d, e]: Upstream[]): DynamicConfig {
  const healthCheck = { path: '/health', interval: INTERVAL, timeout: '500ms' }
  const lb = (servers: Upstream[], extra: object = {}) => ({
    loadBalancer: { servers: servers.map((s) => ({ url: s.url })), passHostHeader: true, healthCheck, ...extra },
  })
  return {
    http: {
      routers: {
        all: { rule: 'Host(`all.test`)', service: 'all' },
        sticky: { rule: 'Host(`sticky.test`)', service: 'sticky' },
        one: { rule: 'Host(`one.test`)', service: 'one' },
        passive: { rule: 'Host(`passive.test`)', service: 'passive' },
      },
      services: {
        all: lb([a!, b!, c!]),
        sticky: lb([a!, b!], { sticky: { cookie: { name: 'pin' } } }),
        one: lb([c!]),
        passive: {
          loadBalancer: {
            servers: [{ url: e!.url }, { url: d!.url }],
            passHostHeader: true,
            passiveHealthCheck: { failureWindow: '10s', maxFailedAttempts: 1 },
          },
        },
      },
    },
  }
}

describe('health checks at the edge', () => {
  let edge: TestEdge
  let health: ActiveHealth
  const ups: Upstream[] = []
  const reports: string[] = []

  const hits = async (host: string, n: number, cookie?: string) => {
    const out: Array<{ status: number; server: string; setCookie?: string }> = []
    for (let i = 0; i < n; i++) {
      const r = await edge.request('/', { headers: { host, ...(cookie ? { cookie } : {}) } })
      const sc = r.headers['set-cookie']?.[0]
      out.push({ status: r.status, server: r.status === 200 ? r.body : r.body.trim(), ...(sc ? { setCookie: sc.split(';')[0] } : {}) })
    }
    return out
  }
  /** Polls (bounded) until `ok` holds for a batch of requests; returns that batch. */
  const until = async (host: string, ok: (servers: string[]) => boolean) => {
    const deadline = Date.now() + FOLLOW_MS
    for (;;) {
      const batch = (await hits(host, 6)).map((h) => h.server)
      if (ok(batch)) return batch
      if (Date.now() > deadline) throw new Error(`edge did not follow for ${host}: ${batch.join(',')}\n${reports.join('\n')}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  beforeAll(async () => {
    for (const h of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']) ups.push(await upstream(h))
    edge = await startEdge()
    health = activeHealth({ report: (l) => reports.push(l) })
    const stage = health.stage(edgeTableStage({ entryPoint: 'web' }))
    const publish = health.publish((built) => edge.publish(built.table))
    await publish(stage(config(ups)))
  })
  afterAll(async () => {
    health?.stop()
    await edge?.stop()
    for (const u of ups) await u.close()
  })

  it('every server serves while healthy', async () => {
    expect(new Set((await hits('all.test', 6)).map((h) => h.server))).toEqual(new Set(['127.0.0.2', '127.0.0.3', '127.0.0.4']))
  })

  it('a server failing its check leaves the rotation and comes back when it passes again', async () => {
    sick.add('127.0.0.3')
    await until('all.test', (s) => !s.includes('127.0.0.3'))
    expect(reports.some((l) => /service all server http:\/\/127\.0\.0\.3:\d+: down: received error status code: 500/.test(l))).toBe(true)
    sick.delete('127.0.0.3')
    await until('all.test', (s) => s.includes('127.0.0.3'))
  })

  it('a sticky client moves to a healthy server (and gets its cookie)', async () => {
    const [first] = await hits('sticky.test', 1)
    const pinned = first!.server
    const cookie = first!.setCookie!
    expect((await hits('sticky.test', 3, cookie)).map((h) => h.server)).toEqual([pinned, pinned, pinned])
    sick.add(pinned)
    try {
      const deadline = Date.now() + FOLLOW_MS
      let moved: { server: string; setCookie?: string } | undefined
      while (Date.now() < deadline) {
        const [h] = await hits('sticky.test', 1, cookie)
        if (h!.server !== pinned) {
          moved = h
          break
        }
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(moved?.server).toBe(pinned === '127.0.0.2' ? '127.0.0.3' : '127.0.0.2')
      expect(moved?.setCookie).toMatch(/^pin=[0-9a-f]{16}$/)
    } finally {
      sick.delete(pinned)
    }
  })

  it('a killed upstream: its service answers 503 with none left, and serves again once revived on the same port', async () => {
    const c = ups[2]!
    expect((await hits('one.test', 1))[0]).toMatchObject({ status: 200, server: '127.0.0.4' })
    await c.close()
    await until('one.test', (s) => s.every((x) => x === 'no available server'))
    expect((await hits('one.test', 1))[0]!.status).toBe(503)
    // The other services that list it route around it.
    expect((await hits('all.test', 6)).every((h) => h.status === 200 && h.server !== '127.0.0.4')).toBe(true)
    ups[2] = await upstream('127.0.0.4', c.port)
    await until('one.test', (s) => s.every((x) => x === '127.0.0.4'))
  })

  it('passive: a server answering 502 is taken out after one failure, for the failure window', async () => {
    const seen = (await hits('passive.test', 6)).map((h) => `${h.status} ${h.server}`)
    // At most one request reached the failing server before it was taken out.
    expect(seen.filter((s) => s.startsWith('502')).length).toBeLessThanOrEqual(1)
    expect(seen.filter((s) => s === '200 127.0.0.5').length).toBeGreaterThanOrEqual(5)
    expect((await hits('passive.test', 4)).map((h) => h.server)).toEqual(Array(4).fill('127.0.0.5'))
  })
})
