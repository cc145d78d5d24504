/**
 * Long middleware chains (issue 17, item 11). A router with 5,000 middlewares overflowed the
 * stack on every request, and nothing said so when the table was built. Now a router runs at
 * most MAX_ROUTER_MIDDLEWARES once chains are expanded (more is refused when the table is built,
 * with a diagnostic, and the router is not served), and a chain as long as that runs without
 * deepening the stack. Chains of chains that multiply (a chain naming another twice, and so on)
 * stop being expanded at the same bound instead of filling memory.
 *
 * Through the worker on workerd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig, Middleware } from '../../shared/dynamic/types.ts'
import { buildEdgeInput, startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

/** The edge's bound (control-plane/table/middlewares.ts MAX_ROUTER_MIDDLEWARES). */
const MAX_ROUTER_MIDDLEWARES = 1000

let up: Upstream
let edge: TestEdge

function chainConfig(routers: Record<string, string[]>, middlewares: Record<string, Middleware>): DynamicConfig {
  return {
    http: {
      routers: Object.fromEntries(Object.entries(routers).map(([name, mws]) => [name, { rule: `Host(\`${name}.example\`)`, service: 'up', middlewares: mws }])),
      middlewares,
      services: { up: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } } },
    },
  }
}

/** `n` headers middlewares, each setting X-Last to its index: the upstream sees the last one's. */
function headers(n: number): Record<string, Middleware> {
  return Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`h${i}`, { headers: { customRequestHeaders: { 'X-Last': `${i}`, ...(i === 0 ? { 'X-First': 'ran' } : {}) } } }]),
  )
}

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.2', name: 'up' })
  edge = await startEdge({ input: { config: chainConfig({}, {}) } })
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

describe('a router with thousands of middlewares', () => {
  it('5,000: refused when the table is built, with a diagnostic; the other routers serve', async () => {
    const mws = headers(5000)
    const config = chainConfig({ many: Object.keys(mws), few: ['h1', 'h2'] }, mws)
    const { problems } = await edge.apply({ config })
    // Not a 500 from a stack overflow: the router is not served at all.
    expect((await edge.request('/', { headers: { host: 'many.example' } })).status).toBe(404)
    expect(problems.join('\n')).toMatch(
      new RegExp(
        `^router many: middlewares: 5000 middlewares once chains are expanded, more than the ${MAX_ROUTER_MIDDLEWARES} the edge runs for one router$`,
        'm',
      ),
    )
    const few = await edge.request('/', { headers: { host: 'few.example' } })
    expect(few.status).toBe(200)
    expect((JSON.parse(few.body) as Echo).headers['x-last']).toBe('2')
  })

  it(`${MAX_ROUTER_MIDDLEWARES}: every one runs, without a stack overflow`, async () => {
    const mws = headers(MAX_ROUTER_MIDDLEWARES)
    const { problems } = await edge.apply({ config: chainConfig({ most: Object.keys(mws) }, mws) })
    expect(problems).toEqual([])
    for (let i = 0; i < 3; i++) {
      const res = await edge.request('/', { headers: { host: 'most.example' } })
      expect(res.status, res.body).toBe(200)
      const seen = (JSON.parse(res.body) as Echo).headers
      expect(seen['x-last']).toBe(`${MAX_ROUTER_MIDDLEWARES - 1}`)
      expect(seen['x-first']).toBe('ran')
    }
  })

  it('chains that multiply stop being expanded at the bound, at once', () => {
    // c0 names c1 twice, c1 names c2 twice... 2^30 middlewares if expanded.
    const mws: Record<string, Middleware> = { leaf: { headers: { customRequestHeaders: { 'X-Leaf': '1' } } } }
    for (let i = 0; i < 30; i++) mws[`c${i}`] = { chain: { middlewares: i === 29 ? ['leaf', 'leaf'] : [`c${i + 1}`, `c${i + 1}`] } }
    const start = performance.now()
    const { problems } = buildEdgeInput({ config: chainConfig({ bomb: ['c0'] }, mws) })
    expect(performance.now() - start).toBeLessThan(2000)
    expect(problems.join('\n')).toMatch(
      /^router bomb: middlewares: 1073741824 middlewares once chains are expanded, more than the 1000 the edge runs for one router$/m,
    )
  })
})
