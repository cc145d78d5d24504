/**
 * Services on the real workerd runtime against real upstreams: Traefik's WRR sequences (weighted
 * services and servers), sticky cookies, health from the endpoints table, mirroring (without
 * delaying the main response) and failover.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import type { EndpointsTable } from '../../shared/table/schema.ts'
import { stickyCookieName } from '../../control-plane/table/sticky-name.ts'
import { buildEdgeInput, startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'

const ups: Record<string, Upstream> = {}
let edge: TestEdge
let releaseMirror: () => void = () => {}
let mirrorHeld: Promise<void> = Promise.resolve()
let heldArrived: () => void = () => {}
let releaseHeld: () => void = () => {}
let heldGate: Promise<void> = new Promise((r) => (releaseHeld = r))

const server = (name: string) => ({ url: ups[name]!.url })
const lb = (...names: string[]) => ({ loadBalancer: { servers: names.map(server), passHostHeader: true } })

function config(): DynamicConfig {
  return {
    http: {
      routers: {
        wrr: { rule: 'Host(`wrr.example`)', service: 'bias' },
        rr: { rule: 'Host(`rr.example`)', service: 'three' },
        sticky: { rule: 'Host(`sticky.example`)', service: 'stuck' },
        stickyDefault: { rule: 'Host(`sticky-default.example`)', service: 'stuckDefault' },
        health: { rule: 'Host(`health.example`)', service: 'checked' },
        mirror: { rule: 'Host(`mirror.example`)', service: 'mirrored' },
        mirrorNoBody: { rule: 'Host(`mirror-nobody.example`)', service: 'mirroredNoBody' },
        failoverDown: { rule: 'Host(`failover.example`)', service: 'failDown' },
        failoverStatus: { rule: 'Host(`failover-status.example`)', service: 'failStatus' },
        empty: { rule: 'Host(`empty.example`)', service: 'none' },
        mirrorLimit: { rule: 'Host(`mirror-limit.example`)', service: 'mirroredLimited' },
        failoverLimit: { rule: 'Host(`failover-limit.example`)', service: 'failLimited' },
        hrw: { rule: 'Host(`hrw.example`)', service: 'rendezvous' },
        byHash: { rule: 'Host(`strategy-hrw.example`)', service: 'byHash' },
        byTime: { rule: 'Host(`strategy-leasttime.example`)', service: 'byTime' },
        byLoad: { rule: 'Host(`strategy-p2c.example`)', service: 'byLoad' },
      },
      services: {
        bias: {
          weighted: {
            services: [
              { name: 'onlyA', weight: 11 },
              { name: 'onlyB', weight: 3 },
            ],
          },
        },
        onlyA: lb('a'),
        onlyB: lb('b'),
        three: lb('a', 'b', 'c'),
        stuck: {
          loadBalancer: {
            servers: [server('a'), server('b')],
            passHostHeader: true,
            sticky: { cookie: { name: 'lb', httpOnly: true, sameSite: 'strict', maxAge: 60 } },
          },
        },
        stuckDefault: { loadBalancer: { servers: [server('a'), server('b')], passHostHeader: true, sticky: { cookie: {} } } },
        checked: { loadBalancer: { servers: [server('a'), server('b')], passHostHeader: true, healthCheck: { path: '/health' } } },
        mirrored: { mirroring: { service: 'onlyA', mirrors: [{ name: 'slow', percent: 50 }] } },
        mirroredNoBody: { mirroring: { service: 'onlyA', mirrorBody: false, mirrors: [{ name: 'onlyC', percent: 100 }] } },
        onlyC: lb('c'),
        slow: lb('slow'),
        failDown: { failover: { service: 'allDown', fallback: 'onlyB' } },
        allDown: { loadBalancer: { servers: [server('a')], passHostHeader: true, healthCheck: {} } },
        failStatus: { failover: { service: 'failing', fallback: 'onlyB', errors: { status: ['500-599'] } } },
        failing: lb('failing'),
        none: { loadBalancer: { servers: [], passHostHeader: true } },
        mirroredLimited: { mirroring: { service: 'onlyA', maxBodySize: 4, mirrors: [{ name: 'onlyC', percent: 100 }] } },
        failLimited: { failover: { service: 'failing', fallback: 'onlyB', errors: { status: ['503'], maxRequestBodyBytes: 4 } } },
        rendezvous: {
          highestRandomWeight: {
            services: [
              { name: 'onlyA', weight: 1 },
              { name: 'onlyB', weight: 1 },
              { name: 'onlyC', weight: 1 },
            ],
          },
        },
        byHash: { loadBalancer: { servers: [server('a'), server('b'), server('c')], passHostHeader: true, strategy: 'hrw' } },
        byTime: { loadBalancer: { servers: [server('a'), server('lagging')], passHostHeader: true, strategy: 'leasttime' } },
        byLoad: { loadBalancer: { servers: [server('held'), server('b')], passHostHeader: true, strategy: 'p2c' } },
      },
    },
  }
}

beforeAll(async () => {
  const [a, b, c, slow, failing, lagging, held] = await Promise.all([
    startUpstream({ host: '127.0.0.2', name: 'a' }),
    startUpstream({ host: '127.0.0.3', name: 'b' }),
    startUpstream({ host: '127.0.0.4', name: 'c' }),
    startUpstream({
      host: '127.0.0.5',
      name: 'slow',
      handler: async (_req, res) => {
        await mirrorHeld
        res.end('mirror')
      },
    }),
    startUpstream({ host: '127.0.0.6', name: 'failing', handler: (_req, res) => void res.writeHead(503).end('down for a bit') }),
    startUpstream({
      host: '127.0.0.7',
      name: 'lagging',
      handler: (_req, res) => void setTimeout(() => res.writeHead(200, { 'x-upstream': 'lagging' }).end(), 80),
    }),
    startUpstream({
      host: '127.0.0.8',
      name: 'held',
      handler: async (_req, res) => {
        heldArrived()
        await heldGate
        res.writeHead(200, { 'x-upstream': 'held' }).end()
      },
    }),
  ])
  Object.assign(ups, { a, b, c, slow, failing, lagging, held })
  const { table } = buildEdgeInput({ config: config() })
  const endpoints = table.endpoints as EndpointsTable
  // What a health checker would publish: b is down for `checked`, a is down for `allDown`.
  endpoints.services.checked!.servers[1]!.up = false
  endpoints.services.allDown!.servers[0]!.up = false
  edge = await startEdge({ input: { table } })
})

afterAll(async () => {
  releaseMirror()
  releaseHeld()
  await edge?.stop()
  await Promise.all(Object.values(ups).map((u) => u.close()))
})

async function served(host: string, headers: Record<string, string> = {}) {
  const res = await edge.request('/', { headers: { host, ...headers } })
  return { res, server: res.headers['x-upstream'] as string | undefined }
}

async function sequence(host: string, n: number): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < n; i++) out.push((await served(host)).server ?? `status ${i}`)
  return out
}

describe('load balancing on workerd', () => {
  // wrr_test.go TestBalancerBias: the exact EDF sequence for weights 11 and 3.
  it("follows Traefik's weighted round robin sequence across weighted services", async () => {
    const seq = await sequence('wrr.example', 14)
    expect(seq.join('')).toBe('aaabaaaabaaaba')
  })

  it("rotates over a service's servers, each once per round", async () => {
    const seq = await sequence('rr.example', 9)
    for (let r = 0; r < 9; r += 3) expect(seq.slice(r, r + 3).sort()).toEqual(['a', 'b', 'c'])
  })

  it("sets Traefik's sticky cookie on the first pick and sticks to that server", async () => {
    const first = await served('sticky.example')
    const cookie = first.res.headers['set-cookie']![0]!
    expect(cookie).toMatch(/^lb=[0-9a-f]{16}; Path=\/; Max-Age=60; HttpOnly; SameSite=Strict$/)
    const jar = cookie.split(';')[0]!
    for (let i = 0; i < 4; i++) {
      const again = await served('sticky.example', { cookie: jar })
      expect(again.server).toBe(first.server)
      expect(again.res.headers['set-cookie']).toBeUndefined()
    }
    const other = await served('sticky.example', { cookie: 'lb=0000000000000000' })
    expect(other.res.headers['set-cookie']![0]).toMatch(/^lb=[0-9a-f]{16}; Path=\//)
  })

  it('names the cookie _ + 5 hex of SHA-1 when no name is configured', async () => {
    const res = await served('sticky-default.example')
    expect(res.res.headers['set-cookie']![0]).toMatch(new RegExp(`^${stickyCookieName(undefined, 'stuckDefault')}=[0-9a-f]{16}; Path=/$`))
  })

  it('skips servers the endpoints table marks down', async () => {
    expect(await sequence('health.example', 4)).toEqual(['a', 'a', 'a', 'a'])
  })

  it('answers 503 no available server for a service without servers', async () => {
    const { res } = await served('empty.example')
    expect(res.status).toBe(503)
    expect(res.body).toBe('no available server\n')
  })
})

describe('mirroring and failover on workerd', () => {
  it('mirrors half the requests, body included, after the main response is out', async () => {
    mirrorHeld = new Promise((r) => (releaseMirror = r))
    const before = ups.slow!.requests.length
    for (let i = 0; i < 4; i++) {
      // The mirror upstream does not answer until released: the main response must not wait for it.
      const res = await edge.request('/m', {
        method: 'POST',
        headers: { host: 'mirror.example', 'content-type': 'text/plain' },
        body: `body-${i}`,
        timeoutMs: 3000,
      })
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toMatchObject({ server: 'a', body: `body-${i}` })
    }
    releaseMirror()
    const deadline = Date.now() + 3000
    while (ups.slow!.requests.length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const mirrored = ups.slow!.requests.slice(before)
    // Traefik's count: request n is mirrored when count*100 < n*percent, so the 1st and 3rd.
    expect(mirrored.map((r) => r.body)).toEqual(['body-0', 'body-2'])
    expect(mirrored[0]!.headers.host).toBe('mirror.example')
  })

  it('mirrors without the body when mirrorBody is false, with headers of its own', async () => {
    const before = ups.c!.requests.length
    const res = await edge.request('/nb', { method: 'POST', headers: { host: 'mirror-nobody.example' }, body: 'secret' })
    expect(JSON.parse(res.body)).toMatchObject({ server: 'a', body: 'secret' })
    const deadline = Date.now() + 3000
    while (ups.c!.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    const mirrored = ups.c!.requests[before]!
    expect(mirrored.body).toBe('')
    expect(mirrored.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(mirrored.headers.host).toBe('mirror-nobody.example')
  })

  it('does not mirror a body above maxBodySize, and still serves it whole', async () => {
    const before = ups.c!.requests.length
    const res = await edge.request('/big', { method: 'POST', headers: { host: 'mirror-limit.example' }, body: 'longer than four' })
    expect(JSON.parse(res.body)).toMatchObject({ server: 'a', body: 'longer than four' })
    const small = await edge.request('/small', { method: 'POST', headers: { host: 'mirror-limit.example' }, body: 'tiny' })
    expect(small.status).toBe(200)
    const deadline = Date.now() + 3000
    while (ups.c!.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(ups.c!.requests.slice(before).map((r) => r.url)).toEqual(['/small'])
  })

  it('answers 413 when a failover would have to replay a body above maxRequestBodyBytes', async () => {
    const res = await edge.request('/f', { method: 'POST', headers: { host: 'failover-limit.example' }, body: 'too long' })
    expect(res.status).toBe(413)
  })

  it('sends everything to the fallback while the main service is down', async () => {
    expect(await sequence('failover.example', 3)).toEqual(['b', 'b', 'b'])
  })

  it('replays the request to the fallback when the main service answers an error status', async () => {
    const before = ups.failing!.requests.length
    const res = await edge.request('/f', { method: 'PUT', headers: { host: 'failover-status.example' }, body: 'payload' })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toMatchObject({ server: 'b', method: 'PUT', body: 'payload' })
    expect(ups.failing!.requests.length).toBe(before + 1)
  })
})

describe('load-balancer strategies on workerd', () => {
  it('hrw: every request of a client goes to the same server', async () => {
    const seen = new Set<string | undefined>()
    for (let i = 0; i < 8; i++) seen.add((await served('strategy-hrw.example')).server)
    expect(seen.size).toBe(1)
    expect(['a', 'b', 'c']).toContain([...seen][0])
  })

  it('a highestRandomWeight TraefikService sends a client to the same child service every time', async () => {
    const seen = new Set<string | undefined>()
    for (let i = 0; i < 8; i++) seen.add((await served('hrw.example')).server)
    expect(seen.size).toBe(1)
    expect(['a', 'b', 'c']).toContain([...seen][0])
  })

  it('leasttime: once both are measured, the faster server takes the requests', async () => {
    const seq = await sequence('strategy-leasttime.example', 8)
    // The first two try each server (neither measured yet); from then on the 80 ms one loses.
    expect(seq.slice(0, 2).sort()).toEqual(['a', 'lagging'])
    expect(seq.slice(2)).toEqual(Array(6).fill('a'))
  })

  it('p2c: while one server holds a request, the next ones go to the other', async () => {
    // Requests until one is held (each draw picks either server; 20 tries all missing is ~1e-6).
    let holding: Promise<unknown> | null = null
    for (let i = 0; i < 20 && holding === null; i++) {
      const arrived = new Promise<void>((r) => (heldArrived = r))
      const pending = served('strategy-p2c.example')
      const first = await Promise.race([arrived.then(() => 'held'), pending.then(() => 'b')])
      if (first === 'held') holding = pending
    }
    expect(holding).not.toBeNull()
    const others: Array<string | undefined> = []
    for (let i = 0; i < 6; i++) others.push((await served('strategy-p2c.example')).server)
    expect(others).toEqual(Array(6).fill('b'))
    releaseHeld()
    expect(((await holding) as { server?: string }).server).toBe('held')
    heldGate = Promise.resolve()
  })
})
