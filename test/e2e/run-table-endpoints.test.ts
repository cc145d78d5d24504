// The real edge on workerd with the table's endpoints sharded per bucket (table layout 2,
// docs/table.md): a change of one service's servers is served after a write of one endpoints
// blob and the pointer, and an edge that holds the table reads that blob alone to load it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { BLOB_PREFIX, bucketOf, endpointsShardOf } from '../../shared/kv/layout.ts'
import { startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

const ROUTERS = 1500
let a: Upstream
let b: Upstream
let edge: TestEdge
const store = createMemoryKvStore()
const reads: string[][] = []

/** One router and service per host; the host-regexp router (in `rest`) shares `s0` with app-0. */
function config(moved: Set<number> = new Set()): DynamicConfig {
  const routers: NonNullable<DynamicConfig['http']>['routers'] = {}
  const services: NonNullable<DynamicConfig['http']>['services'] = {}
  for (let i = 0; i < ROUTERS; i++) {
    routers[`r${i}`] = { rule: `Host(\`app-${i}.example\`)`, service: `s${i}` }
    services[`s${i}`] = { loadBalancer: { servers: [{ url: (moved.has(i) ? b : a).url }], passHostHeader: true } }
  }
  routers.other = { rule: 'HostRegexp(`^other-.+\\.example$`)', service: 's0' }
  return { http: { routers, services } }
}

async function servedBy(host: string): Promise<string> {
  const res = await edge.request('/', { headers: { host } })
  expect(res.status).toBe(200)
  return (JSON.parse(res.body) as Echo).server
}

describe('endpoints per bucket on the real edge', () => {
  beforeAll(async () => {
    ;[a, b] = await Promise.all([startUpstream({ name: 'a' }), startUpstream({ name: 'b' })])
    edge = await startEdge({ input: { config: config() }, store: { ...store, get: (keys) => (reads.push([...keys]), store.get(keys)) } })
  })
  afterAll(async () => {
    await edge?.stop()
    await Promise.all([a?.close(), b?.close()])
  })

  it('serves a change of servers after one endpoints blob and the pointer are written, reading that blob alone', async () => {
    for (const host of ['app-5.example', 'app-700.example', 'other-x.example']) expect(await servedBy(host)).toBe('a')
    const { published: before } = await edge.apply({ config: config() })
    expect(before.changed).toBe(false)
    const { published } = await edge.apply({ config: config(new Set([5])) })
    const m = published.manifest
    expect(m.routes.buckets.length).toBeGreaterThan(1)
    expect(m.routes).toEqual(before.manifest.routes)
    expect(m.endpoints.rest).toBe(before.manifest.endpoints.rest)
    expect(published.blobsWritten).toBe(1)
    const shard = endpointsShardOf(bucketOf('app-5.example', m.routes.buckets.length), m)
    expect(m.endpoints.buckets.flatMap((d, j) => (d === before.manifest.endpoints.buckets[j] ? [] : [j]))).toEqual([shard])
    reads.length = 0
    expect(await servedBy('app-5.example')).toBe('b')
    expect(reads.flat().filter((k) => k.startsWith(BLOB_PREFIX))).toEqual([BLOB_PREFIX + m.endpoints.buckets[shard]])
    for (const host of ['app-700.example', 'other-x.example', 'app-0.example']) expect(await servedBy(host)).toBe('a')
  })

  it('moves a service that `rest` shares by rewriting the rest endpoints blob alone', async () => {
    const { published: before } = await edge.apply({ config: config(new Set([5])) })
    const { published } = await edge.apply({ config: config(new Set([0, 5])) })
    expect(published.blobsWritten).toBe(1)
    expect(published.manifest.endpoints.buckets).toEqual(before.manifest.endpoints.buckets)
    expect(published.manifest.endpoints.rest).not.toBe(before.manifest.endpoints.rest)
    for (const host of ['app-0.example', 'other-x.example', 'app-5.example']) expect(await servedBy(host)).toBe('b')
    expect(await servedBy('app-700.example')).toBe('a')
  })
})
