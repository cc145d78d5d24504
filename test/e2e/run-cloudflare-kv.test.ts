// The Cloudflare Workers KV REST client against a local server implementing the documented
// endpoints and error envelope, with 429s, 5xx answers and partially failed bulk calls.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair } from 'jose'
import { createCloudflareKvStore, type CloudflareKvOptions } from '../../control-plane/kv/cloudflare-rest-store.ts'
import { TablePublisher, manifestDigests } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { BLOB_PREFIX, POINTER_KEY } from '../../edge-worker/src/table-source/layout.ts'
import { startFakeCloudflareKv, type FakeCloudflareKv } from '../support/fake-cloudflare-kv.ts'

describe('Cloudflare KV REST store', () => {
  let api: FakeCloudflareKv
  let options: CloudflareKvOptions

  beforeEach(async () => {
    api = await startFakeCloudflareKv()
    options = { accountId: api.accountId, namespaceId: api.namespaceId, apiToken: api.token, baseUrl: api.baseUrl, baseDelayMs: 5, maxDelayMs: 20 }
  })
  afterEach(() => api.close())

  it('writes, reads in bulks of 100, lists across pages and deletes', async () => {
    const kv = createCloudflareKvStore(options)
    const entries = Array.from({ length: 2500 }, (_, i) => [`k/${String(i).padStart(4, '0')}`, `v${i}`] as const)
    await kv.put(entries)
    expect(api.calls).toEqual(['PUT /bulk'])
    const keys = entries.slice(0, 150).map(([k]) => k)
    const got = await kv.get([...keys, 'absent'])
    expect(got.get('k/0149')).toBe('v149')
    expect(got.get('absent')).toBeNull()
    expect(api.calls.filter((c) => c === 'POST /bulk/get')).toHaveLength(2)
    expect(await kv.list('k/')).toHaveLength(2500)
    expect(api.calls.filter((c) => c === 'GET /keys')).toHaveLength(3)
    await kv.delete(keys)
    expect(await kv.list('k/00')).toHaveLength(0)
    expect(api.data.size).toBe(2350)
  })

  it('splits bulk writes at 10,000 pairs', async () => {
    const kv = createCloudflareKvStore(options)
    await kv.put(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 'v'] as const))
    expect(api.calls).toEqual(['PUT /bulk', 'PUT /bulk'])
    expect(api.data.size).toBe(10_001)
  })

  it('retries 429 (honouring Retry-After) and 5xx answers', async () => {
    const kv = createCloudflareKvStore(options)
    api.faults = [
      { route: 'PUT /bulk', status: 429, retryAfter: '0', times: 2 },
      { route: 'PUT /bulk', status: 503, times: 1 },
      { route: 'POST /bulk/get', status: 500, times: 2 },
    ]
    await kv.put([['a', '1']])
    expect(api.calls).toEqual(['PUT /bulk', 'PUT /bulk', 'PUT /bulk', 'PUT /bulk'])
    expect((await kv.get(['a'])).get('a')).toBe('1')
  })

  it('sends again only the keys a bulk call reports unsuccessful', async () => {
    const kv = createCloudflareKvStore(options)
    api.unsuccessfulOnce = new Set(['b'])
    await kv.put([['a', '1'], ['b', '2'], ['c', '3']])
    expect(api.calls).toEqual(['PUT /bulk', 'PUT /bulk'])
    expect(Object.fromEntries(api.data)).toEqual({ a: '1', b: '2', c: '3' })
  })

  it('gives up after its attempts, and fails at once on other errors with their message', async () => {
    const kv = createCloudflareKvStore({ ...options, maxAttempts: 3 })
    api.faults = [{ status: 502, times: 10 }]
    await expect(kv.put([['a', '1']])).rejects.toThrow(/gave up after 3 attempts: 502 Internal error/)
    api.faults = []
    const stranger = createCloudflareKvStore({ ...options, apiToken: 'wrong' })
    await expect(stranger.get(['a'])).rejects.toThrow(/403 Authentication error \(code 10000\)/)
  })

  it('publishes a table through failures without ever pointing at a missing blob', async () => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const signer = await signerFromJwk(await exportJWK(privateKey))
    const kv = createCloudflareKvStore({ ...options, maxAttempts: 2 })
    const pub = await TablePublisher.open({ store: kv, signer, pointerMinIntervalMs: 0 })
    const table = (v: number) => ({ schema: 1, routes: { rest: {}, hosts: { 'a.example': { v } } }, endpoints: { v } })
    await pub.publish(table(1))
    const pointerAfter1 = api.data.get(POINTER_KEY)
    api.faults = [{ route: 'PUT /bulk', status: 500, times: 2 }]
    await expect(pub.publish(table(2))).rejects.toThrow(/gave up/)
    expect(api.data.get(POINTER_KEY)).toBe(pointerAfter1)
    const retried = await pub.publish(table(2))
    expect(retried.changed).toBe(true)
    for (const d of manifestDigests(retried.manifest)) expect(api.data.has(BLOB_PREFIX + d)).toBe(true)
  })
})
