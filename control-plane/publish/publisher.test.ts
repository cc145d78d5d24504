import { describe, expect, it } from 'vitest'
import { createMemoryKvStore } from '../kv/memory-store.ts'
import type { KvStore } from '../kv/store.ts'
import { BLOB_PREFIX, POINTER_KEY, bucketOf, parseManifest } from '../../edge-worker/src/table-source/layout.ts'
import { pointerVerifier } from '../../edge-worker/src/table-source/verify.ts'
import { TablePublisher, manifestDigests } from './publisher.ts'
import { signerFromJwk } from './signing-key.ts'
import { generateKeyPair, exportJWK } from 'jose'
import type { EdgeTableInput } from './pack-table.ts'

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
})
