import { describe, expect, it } from 'vitest'
import { packTable } from '../../../shared/kv/pack-table.ts'
import { BLOB_PREFIX, POINTER_KEY, bucketOf, type TableManifest } from '../../../shared/kv/layout.ts'
import { KvTableSource } from './kv-table-source.ts'

const HOSTS = Array.from({ length: 200 }, (_, i) => `h${i}.example`)

/** A source over an in-memory KV whose pointers are verified by a lookup, with a clock the test moves. */
async function source() {
  const { manifest, blobs } = await packTable(
    { schema: 1, routes: { rest: { rest: true }, hosts: Object.fromEntries(HOSTS.map((h) => [h, { host: h, pad: 'x'.repeat(40) }])) }, endpoints: {} },
    { shardThresholdBytes: 0, bucketTargetBytes: 500 },
  )
  const store = new Map([...blobs].map(([d, text]) => [BLOB_PREFIX + d, text]))
  const manifests = new Map<string, TableManifest>()
  const publish = (issuedAt: number) => {
    manifests.set(`p${issuedAt}`, { ...manifest, issuedAt } as TableManifest)
    store.set(POINTER_KEY, `p${issuedAt}`)
  }
  publish(1)
  let now = 0
  const pending: Array<Promise<unknown>> = []
  const kv = {
    get: async (key: string | string[]) => (Array.isArray(key) ? new Map(key.map((k) => [k, store.get(k) ?? null])) : (store.get(key) ?? null)),
  } as unknown as Pick<KVNamespace, 'get'>
  const src = new KvTableSource<{ hosts: string[] }>({
    kv,
    verify: async (pointer) => manifests.get(pointer) ?? { error: 'unknown pointer' },
    schema: 1,
    prepare: (parts) => ({ hosts: parts.slice(1).map((p) => (p as { host: string }).host) }),
    refreshIntervalMs: 1000,
    now: () => now,
    log: () => {},
  })
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) }
  const forHost = async (host: string) => {
    const view = await src.forHost(host, ctx)
    if ('error' in view) throw new Error(view.error)
    return view
  }
  return {
    n: manifest.routes.buckets.length,
    publish,
    forHost,
    ready: (host: string) => src.ready(host, ctx),
    pending,
    settle: () => Promise.all(pending.splice(0)),
    tick: (ms: number) => (now += ms),
  }
}

describe('KvTableSource', () => {
  it('serves a host whose part the replaced version added to a bucket the new one shares', async () => {
    const s = await source()
    const [x, y] = HOSTS.filter((h) => bucketOf(h, s.n) === bucketOf('h1.example', s.n))
    expect((await s.forHost(x!)).hosts).toEqual([x])
    await s.settle()
    // A new pointer (same blobs), and a request for y on the old version while the new one loads:
    // its part joins the bucket both versions hold after the new version took the old view.
    s.publish(2)
    s.tick(1000)
    expect((await s.forHost(y!)).hosts).toEqual([x, y])
    await s.settle()
    expect((await s.forHost(y!)).hosts).toEqual([x, y])
    expect((await s.forHost(x!)).hosts).toEqual([x, y])
  })

  it('has a view ready, with no promise, only once the part of the host is prepared, and still schedules refreshes', async () => {
    const s = await source()
    const [x, y] = HOSTS.filter((h) => bucketOf(h, s.n) === bucketOf('h1.example', s.n))
    // Nothing loaded yet: not ready, but the first look for a table has started.
    expect(s.ready(x!)).toBeNull()
    expect(s.pending).toHaveLength(1)
    // The first load prepares the bucket of the host that asked (x).
    await s.settle()
    expect(s.ready(x!)?.hosts).toEqual([x])
    expect(s.ready(x!.toUpperCase() + ':80')?.hosts).toEqual([x])
    // y shares the bucket but its part is not in the view yet.
    expect(s.ready(y!)).toBeNull()
    expect((await s.forHost(y!)).hosts).toEqual([x, y])
    expect(s.ready(y!)?.hosts).toEqual([x, y])
    await s.settle()
    s.tick(1000)
    expect(s.ready(x!)?.hosts).toEqual([x, y])
    expect(s.pending).toHaveLength(1)
  })
})
