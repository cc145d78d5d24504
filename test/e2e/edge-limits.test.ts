/**
 * The stateful and resilience middlewares on the real workerd runtime, with real upstreams:
 * rateLimit and inFlightReq per isolate (two entry points = two isolates, each with its own
 * count) and global (EDGE_LIMITS=global: one Durable Object count for both), retry over a dead
 * and a live server, circuitBreaker tripping on upstream 500s, buffering's 413, and a chain
 * (expanded at compile time) running its middlewares in order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

let app: Upstream
let failing: Upstream
let flaky: Upstream
let flakyStatus = 500
let slow: Upstream
const held: ServerResponse[] = []
let local: TestEdge
let global: TestEdge

const lb = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })), passHostHeader: true } })

function config(): DynamicConfig {
  return {
    http: {
      routers: {
        limited: { rule: 'Host(`limited.example`)', service: 'app', middlewares: ['limit'] },
        inflight: { rule: 'Host(`inflight.example`)', service: 'slow', middlewares: ['inflight'] },
        retried: { rule: 'Host(`retry.example`)', service: 'halfDead', middlewares: ['retry'] },
        unretried: { rule: 'Host(`noretry.example`)', service: 'halfDead' },
        breaker: { rule: 'Host(`breaker.example`)', service: 'failing', middlewares: ['breaker'] },
        recovering: { rule: 'Host(`recover.example`)', service: 'flaky', middlewares: ['quickBreaker'] },
        buffered: { rule: 'Host(`buffer.example`)', service: 'app', middlewares: ['chained'] },
      },
      middlewares: {
        limit: { rateLimit: { average: 1, period: '3600000000000ns', burst: 2 } },
        inflight: { inFlightReq: { amount: 1 } },
        retry: { retry: { attempts: 2 } },
        breaker: { circuitBreaker: { expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.5', checkPeriod: '1000000ns' } },
        quickBreaker: {
          circuitBreaker: {
            expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.5',
            checkPeriod: '1000000ns',
            fallbackDuration: '100000000ns',
            recoveryDuration: '100000000ns',
            responseCode: 429,
          },
        },
        chained: { chain: { middlewares: ['buffer', 'tag'] } },
        buffer: { buffering: { maxRequestBodyBytes: 10 } },
        tag: { headers: { customRequestHeaders: { 'X-Chained': 'yes' } } },
      },
      services: {
        app: lb(app.url),
        slow: lb(slow.url),
        failing: lb(failing.url),
        flaky: lb(flaky.url),
        // Port 1 on loopback refuses connections: half the picks fail without retry.
        halfDead: lb('http://127.0.0.1:1', app.url),
      },
    },
  }
}

beforeAll(async () => {
  ;[app, failing, slow, flaky] = await Promise.all([
    startUpstream({ host: '127.0.0.7', name: 'app' }),
    startUpstream({ host: '127.0.0.8', handler: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(500).end('boom') }),
    startUpstream({ host: '127.0.0.9', handler: (_req: IncomingMessage, res: ServerResponse) => void held.push(res) }),
    startUpstream({ host: '127.0.0.11', handler: (_req: IncomingMessage, res: ServerResponse) => void res.writeHead(flakyStatus).end('flaky') }),
  ])
  ;[local, global] = await Promise.all([
    startEdge({ input: { config: config() }, entryPoints: ['web', 'admin'] }),
    startEdge({ input: { config: config() }, entryPoints: ['web', 'admin'], vars: { EDGE_LIMITS: 'global' } }),
  ])
})

afterAll(async () => {
  for (const res of held) res.end()
  await Promise.all([local?.stop(), global?.stop()])
  await Promise.all([app?.close(), failing?.close(), slow?.close(), flaky?.close()])
})

async function statuses(edge: TestEdge, host: string, n: number, entryPoint?: string): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < n; i++) out.push((await edge.request('/', { headers: { host }, entryPoint })).status)
  return out
}

/** Waits (bounded) until the slow upstream holds `n` requests. */
async function heldCount(n: number): Promise<void> {
  for (let i = 0; i < 200 && held.length < n; i++) await new Promise((r) => setTimeout(r, 10))
  expect(held.length).toBe(n)
}

describe('rateLimit on workerd', () => {
  it('answers 429 with Retry-After past the burst, per isolate by default', async () => {
    expect(await statuses(local, 'limited.example', 3)).toEqual([200, 200, 429])
    const refused = await local.request('/', { headers: { host: 'limited.example' } })
    expect(refused.body).toBe('Too Many Requests')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(1700)
    // The other entry point's worker is another isolate: its own buckets.
    expect(await statuses(local, 'limited.example', 3, 'admin')).toEqual([200, 200, 429])
  })

  it('holds one limit across isolates with EDGE_LIMITS=global (Durable Object)', async () => {
    expect(await statuses(global, 'limited.example', 1)).toEqual([200])
    expect(await statuses(global, 'limited.example', 2, 'admin')).toEqual([200, 429])
    expect(await statuses(global, 'limited.example', 1)).toEqual([429])
  })
})

describe('inFlightReq on workerd', () => {
  it('refuses a second request in flight, per isolate or globally', async () => {
    const first = local.request('/', { headers: { host: 'inflight.example' } })
    await heldCount(1)
    const refused = await local.request('/', { headers: { host: 'inflight.example' } })
    expect(refused.status).toBe(429)
    expect(refused.body).toBe('max connections reached: 1')
    // Another isolate counts its own.
    const other = local.request('/', { headers: { host: 'inflight.example' }, entryPoint: 'admin' })
    await heldCount(2)

    const globalFirst = global.request('/', { headers: { host: 'inflight.example' } })
    await heldCount(3)
    expect((await global.request('/', { headers: { host: 'inflight.example' }, entryPoint: 'admin' })).status).toBe(429)

    for (const res of held.splice(0)) res.end('done')
    expect((await first).status).toBe(200)
    expect((await other).status).toBe(200)
    expect((await globalFirst).status).toBe(200)
    // Released once answered: the next one goes through.
    const again = global.request('/', { headers: { host: 'inflight.example' }, entryPoint: 'admin' })
    await heldCount(1)
    held.splice(0).forEach((res) => res.end('done'))
    expect((await again).status).toBe(200)
  })
})

describe('retry, circuitBreaker, buffering and chain on workerd', () => {
  it('retry reaches the live server when the first pick cannot be reached', async () => {
    expect(await statuses(local, 'retry.example', 6)).toEqual([200, 200, 200, 200, 200, 200])
    expect((await statuses(local, 'noretry.example', 6)).filter((s) => s === 502).length).toBe(3)
  })

  it('circuitBreaker trips on upstream 500s and answers 503 Service Unavailable', async () => {
    const first = await statuses(local, 'breaker.example', 2)
    expect(first[0]).toBe(500)
    let tripped = null
    for (let i = 0; i < 20 && tripped === null; i++) {
      await new Promise((r) => setTimeout(r, 2))
      const res = await local.request('/', { headers: { host: 'breaker.example' } })
      if (res.status === 503) tripped = res
      else expect(res.status).toBe(500)
    }
    expect(tripped?.body).toBe('Service Unavailable')
  })

  it('circuitBreaker falls back for fallbackDuration, then recovers and closes once the upstream is healthy', async () => {
    let tripped = false
    for (let i = 0; i < 20 && !tripped; i++) {
      await new Promise((r) => setTimeout(r, 2))
      tripped = (await local.request('/', { headers: { host: 'recover.example' } })).status === 429
    }
    expect(tripped).toBe(true)
    flakyStatus = 200
    // 100 ms of fallback, then 100 ms of recovery: afterwards every request reaches the upstream.
    await new Promise((r) => setTimeout(r, 250))
    const during = await statuses(local, 'recover.example', 6)
    expect(during.every((s) => s === 200 || s === 429)).toBe(true)
    await new Promise((r) => setTimeout(r, 150))
    expect(await statuses(local, 'recover.example', 5)).toEqual([200, 200, 200, 200, 200])
  })

  it('runs a chain in order: buffering refuses 413, or passes the whole body with the chained header', async () => {
    const big = await local.request('/', { method: 'POST', body: 'x'.repeat(11), headers: { host: 'buffer.example' } })
    expect(big.status).toBe(413)
    expect(big.body).toBe('Request Entity Too Large')
    const ok = await local.request('/', { method: 'POST', body: 'small body', headers: { host: 'buffer.example', 'transfer-encoding': 'chunked' } })
    expect(ok.status).toBe(200)
    const echo = JSON.parse(ok.body) as Echo
    expect(echo.body).toBe('small body')
    expect(echo.headers['content-length']).toBe('10')
    expect(echo.headers['x-chained']).toBe('yes')
  })
})
