/**
 * One object too large for KV must not stop all publishing (issue 17, item 9). A Middleware with a
 * 50 MB header value made a table bucket larger than Workers KV's 25 MiB value limit, the publish
 * failed, and no change anywhere was published until it was removed. Now what cannot be
 * published is dropped with a diagnostic that names it (the middleware, or the host whose routes
 * do not fit), and the rest is published.
 *
 * Through the real publisher (signed pointer, blobs in a KV store) and the worker on workerd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'

const MiB = 1024 * 1024

let up: Upstream
let edge: TestEdge

function config(extra: Pick<NonNullable<DynamicConfig['http']>, 'routers' | 'middlewares'>): DynamicConfig {
  return {
    http: {
      routers: { app: { rule: 'Host(`a.example`)', service: 'up' }, ...extra.routers },
      middlewares: { ...extra.middlewares },
      services: { up: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } } },
    },
  }
}

const status = async (host: string) => (await edge.request('/', { headers: { host } })).status

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.2', name: 'up' })
  edge = await startEdge({ input: { config: config({}) } })
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

describe('a table too large for KV', () => {
  it('drops a middleware larger than KV takes, names it, and publishes the rest', async () => {
    const huge = { headers: { customRequestHeaders: { 'X-Big': 'x'.repeat(30 * MiB) } } }
    const first = await edge.apply({
      config: config({ routers: { big: { rule: 'Host(`big.example`)', service: 'up', middlewares: ['huge'] } }, middlewares: { huge } }),
    })
    expect(first.problems.join('\n')).toMatch(/^middleware huge: .*30\.0 MiB.*the routes using it answer 500/m)
    expect(await status('a.example')).toBe(200)
    expect(await status('big.example')).toBe(500)
    // Later changes are published, with the big middleware still there.
    const next = await edge.apply({
      config: config({
        routers: { big: { rule: 'Host(`big.example`)', service: 'up', middlewares: ['huge'] }, more: { rule: 'Host(`c.example`)', service: 'up' } },
        middlewares: { huge },
      }),
    })
    expect(next.published.changed).toBe(true)
    expect(await status('c.example')).toBe(200)
  })

  it('drops a host whose routes do not fit in one KV value, names it, and publishes the others', async () => {
    // Nine middlewares under the per-middleware bound, 27 MiB together on one host.
    const middlewares = Object.fromEntries(
      Array.from({ length: 9 }, (_, i) => [`part${i}`, { headers: { customRequestHeaders: { [`X-Part-${i}`]: String(i).repeat(3 * MiB) } } }]),
    )
    const result = await edge.apply({
      config: config({
        routers: {
          heavy: { rule: 'Host(`heavy.example`)', service: 'up', middlewares: Object.keys(middlewares) },
          light: { rule: 'Host(`light.example`)', service: 'up' },
        },
        middlewares,
      }),
    })
    expect(result.published.dropped).toEqual([expect.objectContaining({ host: 'heavy.example', routers: ['heavy'] })])
    expect(result.published.dropped![0]!.message).toMatch(/27\.0 MiB.*25 MiB/)
    expect(await status('light.example')).toBe(200)
    expect(await status('a.example')).toBe(200)
    expect(await status('heavy.example')).toBe(404)
  })
})
