import { describe, expect, it } from 'vitest'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'
import { BLOB_PREFIX, POINTER_KEY, bucketOf, endpointsShardOf, parseManifest } from '../../shared/kv/layout.ts'
import { pointerVerifier } from '../../edge-worker/src/table-source/verify.ts'
import { MissingBlobError, TablePublisher, manifestDigests } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { generateKeyPair, exportJWK } from 'jose'
import { packTable, type EdgeTableInput, type PackedTable } from '../../shared/kv/pack-table.ts'

async function newSigner() {
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
  return signerFromJwk(await exportJWK(privateKey))
}

function table(hosts: Record<string, unknown>, endpoints: unknown = { s: ['10.0.0.1'] }): EdgeTableInput {
  return { schema: 1, routes: { rest: { routers: ['catch-all'] }, hosts }, endpoints }
}

async function pointerOf(store: KvStore, signer: Awaited<ReturnType<typeof newSigner>>) {
  const jws = (await store.get([POINTER_KEY])).get(POINTER_KEY)
  if (!jws) throw new Error('no pointer')
  const m = await pointerVerifier(signer.jwks)(jws)
  if ('error' in m) throw new Error(m.error)
  return m
}

describe('TablePublisher', () => {
  it('writes every blob before the pointer and signs the pointer', async () => {
    const signer = await newSigner()
    const inner = createMemoryKvStore()
    const order: string[] = []
    const store: KvStore = {
      ...inner,
      put: async (entries) => {
        for (const [k] of entries) order.push(k)
        await inner.put(entries)
      },
    }
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
    const r = await pub.publish(table({ 'a.example': { r: 1 }, 'b.example': { r: 2 } }))
    expect(r.changed).toBe(true)
    expect(order.at(-1)).toBe(POINTER_KEY)
    expect(order.slice(0, -1).every((k) => k.startsWith(BLOB_PREFIX))).toBe(true)
    const m = await pointerOf(inner, signer)
    for (const d of manifestDigests(m)) expect(inner.data.has(BLOB_PREFIX + d)).toBe(true)
  })

  it('signs pointers with an expiry, and signs the same table again once a quarter of it has passed', async () => {
    const signer = await newSigner()
    const store = createMemoryKvStore()
    let now = 1_000_000
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0, pointerTtlMs: 4000, now: () => now })
    expect(pub.refreshIntervalMs).toBe(1000)
    const first = (await pub.publish(table({ 'a.example': { r: 1 } }))).manifest
    expect(first.expiresAt).toBe(first.issuedAt + 4000)
    const blobs = [...store.data.keys()].filter((k) => k.startsWith(BLOB_PREFIX)).sort()
    now += 999
    expect(await pub.refresh()).toBe(false)
    now += 1
    expect(await pub.refresh()).toBe(true)
    const second = await pointerOf(store, signer)
    expect(second).toMatchObject({ routes: first.routes, endpoints: first.endpoints, issuedAt: now, expiresAt: now + 4000 })
    expect([...store.data.keys()].filter((k) => k.startsWith(BLOB_PREFIX)).sort()).toEqual(blobs)
    // An unchanged publish past the quarter signs anew too.
    now += 1000
    expect((await pub.publish(table({ 'a.example': { r: 1 } }))).changed).toBe(true)
    expect((await pointerOf(store, signer)).issuedAt).toBe(now)
  })

  it('never refreshes a pointer it only found in the store: it may be a replay', async () => {
    const signer = await newSigner()
    const store = createMemoryKvStore()
    let now = 1_000_000
    await (await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0, pointerTtlMs: 4000, now: () => now })).publish(table({ 'a.example': { r: 1 } }))
    const replayed = store.data.get(POINTER_KEY)
    now += 10_000
    const restarted = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0, pointerTtlMs: 4000, now: () => now })
    expect(await restarted.refresh()).toBe(false)
    expect(store.data.get(POINTER_KEY)).toBe(replayed)
    // Once asked to publish that same table, it vouches for it: the expired pointer is replaced.
    expect((await restarted.publish(table({ 'a.example': { r: 1 } }))).changed).toBe(true)
    expect((await pointerOf(store, signer)).expiresAt).toBe(now + 4000)
  })

  it('writes nothing when the content is unchanged, even after a restart', async () => {
    const signer = await newSigner()
    const store = createMemoryKvStore()
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
    await pub.publish(table({ 'a.example': { r: 1 } }))
    const before = new Map(store.data)
    expect((await pub.publish(table({ 'a.example': { r: 1 } }))).changed).toBe(false)
    const again = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
    expect((await again.publish(table({ 'a.example': { r: 1 } }))).changed).toBe(false)
    expect(store.data).toEqual(before)
  })

  it('writes only the endpoints blob and the pointer when only endpoints change', async () => {
    const signer = await newSigner()
    const store = createMemoryKvStore()
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
    const first = await pub.publish(table({ 'a.example': { r: 1 } }, { s: [1] }))
    const second = await pub.publish(table({ 'a.example': { r: 1 } }, { s: [2] }))
    expect(second.blobsWritten).toBe(1)
    expect(second.manifest.routes).toEqual(first.manifest.routes)
    expect(second.manifest.endpoints.version).not.toBe(first.manifest.endpoints.version)
    expect(second.manifest.issuedAt).toBeGreaterThan(first.manifest.issuedAt)
  })

  it('shards hosts into buckets once the table passes the threshold', async () => {
    const signer = await newSigner()
    const store = createMemoryKvStore()
    const pub = await TablePublisher.open({
      store,
      signer,
      pointerMinIntervalMs: 0,
      pack: { shardThresholdBytes: 1000, bucketTargetBytes: 500 },
    })
    const hosts = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`h${i}.example`, { pad: 'x'.repeat(40) }]))
    const { manifest } = await pub.publish(table(hosts))
    const n = manifest.routes.buckets.length
    expect(n).toBeGreaterThan(1)
    expect(Math.log2(n) % 1).toBe(0)
    for (const host of ['h0.example', 'h57.example']) {
      const digest = manifest.routes.buckets[bucketOf(host, n)]!
      const blob = JSON.parse(store.data.get(BLOB_PREFIX + digest)!)
      expect(blob.hosts[host]).toEqual({ pad: 'x'.repeat(40) })
    }
  })

  it('coalesces pointer writes to one per interval, the newest table winning', async () => {
    const signer = await newSigner()
    const inner = createMemoryKvStore()
    const pointerWrites: number[] = []
    const store: KvStore = {
      ...inner,
      put: async (entries) => {
        if (entries.some(([k]) => k === POINTER_KEY)) pointerWrites.push(Date.now())
        await inner.put(entries)
      },
    }
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 300 })
    const results = await Promise.all([1, 2, 3, 4].map((v) => pub.publish(table({ 'a.example': { v } }))))
    await pub.publish(table({ 'a.example': { v: 5 } }))
    expect(pointerWrites.length).toBeLessThanOrEqual(3)
    for (let i = 1; i < pointerWrites.length; i++) {
      expect(pointerWrites[i]! - pointerWrites[i - 1]!).toBeGreaterThanOrEqual(290)
    }
    expect(results[3]!.manifest).toEqual(results[1]!.manifest)
    const m = await pointerOf(inner, signer)
    const blob = JSON.parse(inner.data.get(BLOB_PREFIX + m.routes.buckets[0])!)
    expect(blob.hosts['a.example']).toEqual({ v: 5 })
  })

  it('never leaves the pointer at a missing blob when a blob write fails', async () => {
    const signer = await newSigner()
    const inner = createMemoryKvStore()
    let fail = false
    const store: KvStore = {
      ...inner,
      put: async (entries) => {
        if (fail && entries.some(([k]) => k.startsWith(BLOB_PREFIX))) throw new Error('KV 500')
        await inner.put(entries)
      },
    }
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
    await pub.publish(table({ 'a.example': { v: 1 } }))
    fail = true
    await expect(pub.publish(table({ 'a.example': { v: 2 } }))).rejects.toThrow('KV 500')
    const m = await pointerOf(inner, signer)
    for (const d of manifestDigests(m)) expect(inner.data.has(BLOB_PREFIX + d)).toBe(true)
    fail = false
    expect((await pub.publish(table({ 'a.example': { v: 2 } }))).changed).toBe(true)
  })

  it('deletes blobs only after the grace period, and never those the pointer names', async () => {
    const signer = await newSigner()
    const store = createMemoryKvStore()
    let now = 1_000_000
    const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0, graceMs: 60_000, now: () => now })
    const v1 = await pub.publish(table({ 'a.example': { v: 1 } }))
    now += 1000
    await pub.publish(table({ 'a.example': { v: 2 } }))
    const oldBucket = BLOB_PREFIX + v1.manifest.routes.buckets[0]
    expect(store.data.has(oldBucket)).toBe(true)
    now += 59_000
    expect(await pub.collectGarbage()).toBe(0)
    now += 1000
    expect(await pub.collectGarbage()).toBe(1)
    expect(store.data.has(oldBucket)).toBe(false)
    const m = parseManifest(JSON.parse(Buffer.from(store.data.get(POINTER_KEY)!.split('.')[1]!, 'base64url').toString()))
    if ('error' in m) throw new Error(m.error)
    for (const d of manifestDigests(m)) expect(store.data.has(BLOB_PREFIX + d)).toBe(true)
  })

  describe('endpoints per bucket', () => {
    // 200 hosts, each routing to its own service; `rest` routes to `shared`, which hosts use too.
    const HOSTS = Array.from({ length: 200 }, (_, i) => `h${i}.example`)
    function sharded(servers: (i: number) => string[] = () => ['10.0.0.1']): EdgeTableInput {
      const hosts = Object.fromEntries(HOSTS.map((h, i) => [h, { pad: 'x'.repeat(40), services: { [`s${i}`]: {}, ...(i % 10 ? {} : { shared: {} }) } }]))
      const services = Object.fromEntries(HOSTS.map((_, i) => [`s${i}`, { servers: servers(i) }]))
      // `s199` has no servers entry at all (not a load balancer): it goes nowhere.
      delete services.s199
      return {
        schema: 1,
        routes: { rest: { services: { shared: {} } }, hosts },
        endpoints: { schema: 'e1', services: { ...services, shared: { servers: ['10.9.9.9'] } } },
      }
    }
    const pack = { shardThresholdBytes: 1000, bucketTargetBytes: 500, maxEndpointShards: 8 }
    const blob = (store: ReturnType<typeof createMemoryKvStore>, digest: string | null) => JSON.parse(store.data.get(BLOB_PREFIX + digest)!)

    it("gives a host's endpoints shard the servers of its services, and rest's services to rest alone", async () => {
      const store = createMemoryKvStore()
      const pub = await TablePublisher.open({ store, signer: await newSigner(), pointerMinIntervalMs: 0, pack })
      const { manifest } = await pub.publish(sharded((i) => [`10.0.${i}.1`]))
      const n = manifest.routes.buckets.length
      expect(n).toBeGreaterThan(8)
      expect(manifest.endpoints.buckets).toHaveLength(8)
      expect(blob(store, manifest.endpoints.rest)).toEqual({ schema: 'e1', services: { shared: { servers: ['10.9.9.9'] } } })
      const shardOf = (host: string) => endpointsShardOf(bucketOf(host, n), manifest)
      expect(HOSTS.every((h) => shardOf(h) === bucketOf(h, 8))).toBe(true)
      for (let j = 0; j < 8; j++) {
        const mine = HOSTS.flatMap((h, i) => (shardOf(h) === j && i !== 199 ? [`s${i}`] : [])).sort()
        const shard = blob(store, manifest.endpoints.buckets[j]!)
        expect(shard.schema).toBe('e1')
        expect(Object.keys(shard.services).sort()).toEqual(mine)
        for (const name of mine) expect(shard.services[name]).toEqual({ servers: [`10.0.${name.slice(1)}.1`] })
      }
    })

    it('rewrites only the endpoints blobs that changed and the pointer; the old one is retired after the grace period', async () => {
      const inner = createMemoryKvStore()
      const written: string[][] = []
      const store: KvStore = { ...inner, put: async (entries) => (written.push(entries.map(([k]) => k)), inner.put(entries)) }
      let now = 1_000_000
      const pub = await TablePublisher.open({ store, signer: await newSigner(), pointerMinIntervalMs: 0, graceMs: 60_000, now: () => now, pack })
      const first = await pub.publish(sharded())
      written.length = 0
      now += 1000
      const second = await pub.publish(sharded((i) => (i === 42 ? ['10.0.0.2'] : ['10.0.0.1'])))
      const m1 = first.manifest
      const m2 = second.manifest
      expect(m2.routes).toEqual(m1.routes)
      expect(m2.endpoints.rest).toBe(m1.endpoints.rest)
      const j = endpointsShardOf(bucketOf('h42.example', m2.routes.buckets.length), m2)
      const changed = m2.endpoints.buckets.flatMap((d, k) => (d === m1.endpoints.buckets[k] ? [] : [k]))
      expect(changed).toEqual([j])
      expect(second.blobsWritten).toBe(1)
      expect(written).toEqual([[BLOB_PREFIX + m2.endpoints.buckets[j]], [POINTER_KEY]])
      expect(blob(inner, m2.endpoints.buckets[j]!).services.s42).toEqual({ servers: ['10.0.0.2'] })
      // Unchanged: no write at all.
      written.length = 0
      expect((await pub.publish(sharded((i) => (i === 42 ? ['10.0.0.2'] : ['10.0.0.1'])))).changed).toBe(false)
      expect(written).toEqual([])
      now += 60_000
      expect(await pub.collectGarbage()).toBe(1)
      expect(inner.data.has(BLOB_PREFIX + m1.endpoints.buckets[j])).toBe(false)
    })

    it('shares one blob between identical endpoints blobs', async () => {
      const store = createMemoryKvStore()
      const pub = await TablePublisher.open({ store, signer: await newSigner(), pointerMinIntervalMs: 0, pack })
      const input = sharded()
      // No servers for any host: every shard is the same text.
      const { manifest } = await pub.publish({ ...input, endpoints: { schema: 'e1', services: {} } })
      expect(new Set(manifest.endpoints.buckets).size).toBe(1)
      expect(manifest.endpoints.buckets[0]).toBe(manifest.endpoints.rest)
      expect([...store.data.keys()].filter((k) => k.startsWith(BLOB_PREFIX))).toHaveLength(1 + 1 + manifest.routes.buckets.filter((b) => b).length)
    })

    it('replaces a layout-1 pointer it finds in the store by layout 2 and retires its blobs after the grace period', async () => {
      const store = createMemoryKvStore()
      const signer = await newSigner()
      const hex = (c: string) => c.repeat(64)
      // What a layout-1 control plane left: hex digests, one endpoints blob.
      const v1 = { layout: 1, schema: 1, issuedAt: 5, routes: { version: hex('a'), rest: hex('b'), buckets: [hex('c')] }, endpoints: { version: hex('d') } }
      await store.put([[POINTER_KEY, await signer.sign(JSON.stringify(v1))], ...['b', 'c', 'd'].map((c) => [BLOB_PREFIX + hex(c), '{}'] as const)])
      let now = 1_000_000
      const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0, graceMs: 60_000, now: () => now })
      expect(pub.current?.layout).toBe(1)
      const result = await pub.publish(sharded())
      expect(result.changed).toBe(true)
      expect((await pointerOf(store, signer)).layout).toBe(2)
      now += 60_000
      expect(await pub.collectGarbage()).toBe(3)
      for (const d of manifestDigests(result.manifest)) expect(store.data.has(BLOB_PREFIX + d)).toBe(true)
      expect([...store.data.keys()].filter((k) => k.startsWith(BLOB_PREFIX))).toHaveLength(manifestDigests(result.manifest).size)
    })

    it('keeps the pointer about 70 KB at 1024 buckets', async () => {
      const store = createMemoryKvStore()
      const pub = await TablePublisher.open({
        store,
        signer: await newSigner(),
        pointerMinIntervalMs: 0,
        pack: { shardThresholdBytes: 0, bucketTargetBytes: 1 },
      })
      const hosts = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`h${i}.example`, { services: { [`s${i}`]: {} } }]))
      const services = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`s${i}`, { servers: [i] }]))
      const { manifest } = await pub.publish({ schema: 1, routes: { rest: {}, hosts }, endpoints: { services } })
      expect(manifest.routes.buckets).toHaveLength(1024)
      expect(manifest.endpoints.buckets).toHaveLength(512)
      expect(manifest.routes.buckets.every((b) => b !== null)).toBe(true)
      expect(JSON.stringify(manifest).length).toBeLessThan(72_000)
    })
  })

  describe('prepacked tables (the incremental pipeline)', () => {
    const packed = async (hosts: Record<string, unknown>) => packTable(table(hosts))
    /** A build that hands over only the blobs the previous build did not make. */
    const delta = (now: PackedTable, before: PackedTable): PackedTable => ({
      manifest: now.manifest,
      blobs: new Map([...now.blobs].filter(([d]) => !before.blobs.has(d))),
      dropped: now.dropped,
    })

    it('writes the blobs handed over with a table or an earlier one, then the pointer', async () => {
      const signer = await newSigner()
      const store = createMemoryKvStore()
      const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
      const first = await packed({ 'a.example': { r: 1 } })
      await pub.publish({ packed: first, bytes: 1 })
      const second = await packed({ 'a.example': { r: 1 }, 'b.example': { r: 2 } })
      const r = await pub.publish({ packed: delta(second, first), bytes: 2 })
      expect(r).toMatchObject({ changed: true, bytes: 2 })
      const m = await pointerOf(store, signer)
      expect(m.routes.version).toBe(second.manifest.routes.version)
      for (const d of manifestDigests(m)) expect(store.data.has(BLOB_PREFIX + d)).toBe(true)
    })

    it('keeps the blobs of a table a newer one replaced before it was written, and of a failed write', async () => {
      const signer = await newSigner()
      const inner = createMemoryKvStore()
      let fail = 1
      const store: KvStore = {
        ...inner,
        put: async (entries) => {
          if (entries.some(([k]) => k.startsWith(BLOB_PREFIX)) && fail-- > 0) throw new Error('KV is down')
          await inner.put(entries)
        },
      }
      const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
      const first = await packed({ 'a.example': { r: 1 } })
      // The first write fails: its blobs stay at hand for the next table that still names them.
      await expect(pub.publish({ packed: first, bytes: 1 })).rejects.toThrow(/KV is down/)
      const second = await packed({ 'a.example': { r: 1 }, 'c.example': { r: 3 } })
      await pub.publish({ packed: delta(second, first), bytes: 2 })
      const m = await pointerOf(inner, signer)
      expect(m.routes.version).toBe(second.manifest.routes.version)
      for (const d of manifestDigests(m)) expect(inner.data.has(BLOB_PREFIX + d)).toBe(true)
    })

    it('a table that replaced a waiting one still gets the blobs only the waiting one handed over', async () => {
      const signer = await newSigner()
      const store = createMemoryKvStore()
      const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 300 })
      const first = await packed({ 'a.example': { r: 1 } })
      const second = await packed({ 'a.example': { r: 1 }, 'b.example': { r: 2 } })
      // Only the servers change: its routes bucket is the second's, which only the second handed over.
      const third = await packTable(table({ 'a.example': { r: 1 }, 'b.example': { r: 2 } }, { s: ['10.0.0.2'] }))
      expect(delta(third, second).blobs.has(third.manifest.routes.buckets[0]!)).toBe(false)
      await pub.publish({ packed: first, bytes: 1 })
      // Both wait for the next pointer write; the third replaces the second, naming its blobs.
      const waiting = pub.publish({ packed: delta(second, first), bytes: 2 })
      const r = await pub.publish({ packed: delta(third, second), bytes: 3 })
      expect((await waiting).manifest.routes.version).toBe(third.manifest.routes.version)
      expect(r.manifest.routes.version).toBe(third.manifest.routes.version)
      for (const d of manifestDigests(await pointerOf(store, signer))) expect(store.data.has(BLOB_PREFIX + d)).toBe(true)
    })

    it('refuses a table naming a blob it never had (the caller then builds from scratch)', async () => {
      const signer = await newSigner()
      const store = createMemoryKvStore()
      const pub = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
      const first = await packed({ 'a.example': { r: 1 } })
      await expect(pub.publish({ packed: { manifest: first.manifest, blobs: new Map(), dropped: [] }, bytes: 1 })).rejects.toBeInstanceOf(MissingBlobError)
      expect(store.data.has(POINTER_KEY)).toBe(false)
    })
  })
})
