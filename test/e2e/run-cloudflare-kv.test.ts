// The Cloudflare Workers KV REST client against a local server implementing the documented
// endpoints and error envelope, with 429s, 5xx answers and partially failed bulk calls.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair } from 'jose'
import { retryAfterMs } from '../../control-plane/controller/cloudflare/api-client.ts'
import { cloudflareKvOptionsFromEnv, createCloudflareKvStore, type CloudflareKvOptions } from '../../control-plane/controller/cloudflare/kv-store.ts'
import { TablePublisher, manifestDigests } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { BLOB_PREFIX, POINTER_KEY } from '../../shared/kv/layout.ts'
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
    await kv.put([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ])
    expect(api.calls).toEqual(['PUT /bulk', 'PUT /bulk'])
    expect(Object.fromEntries(api.data)).toEqual({ a: '1', b: '2', c: '3' })
  })

  it('gives up after its attempts, and fails at once on other errors with their message', async () => {
    const kv = createCloudflareKvStore({ ...options, maxAttempts: 3 })
    api.faults = [{ status: 502, times: 10 }]
    await expect(kv.put([['a', '1']])).rejects.toThrow('Cloudflare KV PUT /bulk: gave up after 3 attempts: 502 10001: Internal error')
    api.faults = []
    const stranger = createCloudflareKvStore({ ...options, apiToken: 'wrong' })
    await expect(stranger.get(['a'])).rejects.toThrow(/403 10000: Authentication error/)
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

  it('waits what Retry-After says (seconds or an HTTP date) before trying again', async () => {
    const waits: number[] = []
    const kv = createCloudflareKvStore({ ...options, maxDelayMs: 60_000, sleep: async (ms) => void waits.push(ms) })
    api.faults = [
      { route: 'PUT /bulk', status: 429, retryAfter: '3', times: 1 },
      { route: 'PUT /bulk', status: 503, retryAfter: new Date(Date.now() + 20_000).toUTCString(), times: 1 },
    ]
    await kv.put([['a', '1']])
    expect(waits[0]).toBe(3000)
    expect(waits[1]).toBeGreaterThan(15_000)
    expect(waits[1]).toBeLessThanOrEqual(20_000)
    expect(api.data.get('a')).toBe('1')
    expect(retryAfterMs('soon')).toBeNull()
    expect(retryAfterMs('-1')).toBeNull()
  })

  it('retries dropped connections, unanswered calls and HTML 5xx pages; a 404 page fails at once', async () => {
    const kv = createCloudflareKvStore({ ...options, attemptTimeoutMs: 300 })
    api.faults = [
      { route: 'PUT /bulk', status: 0, action: 'reset', times: 1 },
      { route: 'PUT /bulk', status: 0, action: 'hang', times: 1 },
      { route: 'PUT /bulk', status: 502, body: '<html>Bad gateway</html>', times: 1 },
    ]
    await kv.put([['a', '1']])
    expect(api.calls).toEqual(['PUT /bulk', 'PUT /bulk', 'PUT /bulk', 'PUT /bulk'])
    expect(api.data.get('a')).toBe('1')
    api.faults = [{ route: 'POST /bulk/get', status: 404, body: '<html>Not found</html>', times: 5 }]
    await expect(kv.get(['a'])).rejects.toThrow('Cloudflare KV POST /bulk/get: 404 Not Found')
    expect(api.calls.filter((c) => c === 'POST /bulk/get')).toHaveLength(1)
  })

  it('splits writes by bytes, counting the JSON escaping of blob values', async () => {
    const kv = createCloudflareKvStore({ ...options, maxBatchBytes: 1000 })
    const value = '"'.repeat(400) // 400 bytes, 800 once escaped: one pair per request
    await kv.put([
      ['a', value],
      ['b', value],
      ['c', 'x'],
    ])
    expect(api.calls).toEqual(['PUT /bulk', 'PUT /bulk'])
    expect(api.data.get('b')).toBe(value)
  })

  it('a push failing midway (after a first batch landed) leaves the pointer alone and is retried', async () => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const signer = await signerFromJwk(await exportJWK(privateKey))
    const kv = createCloudflareKvStore({ ...options, maxAttempts: 2, maxBatchPairs: 2 })
    // Sharded into many buckets, so the blobs take several bulk writes.
    const pub = await TablePublisher.open({ store: kv, signer, pointerMinIntervalMs: 0, pack: { shardThresholdBytes: 0, bucketTargetBytes: 64 } })
    const table = (v: number) => ({
      schema: 1,
      routes: { rest: {}, hosts: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`h${i}.example`, { v, pad: 'x'.repeat(64) }])) },
      endpoints: { v },
    })
    await pub.publish(table(1))
    const pointerAfter1 = api.data.get(POINTER_KEY)
    api.calls.length = 0
    api.faults = [{ route: 'PUT /bulk', status: 500, after: 1, times: 2 }]
    await expect(pub.publish(table(2))).rejects.toThrow(/gave up after 2 attempts/)
    expect(api.calls.filter((c) => c === 'PUT /bulk').length).toBe(3)
    expect(api.data.get(POINTER_KEY)).toBe(pointerAfter1)
    const retried = await pub.publish(table(2))
    expect(retried.changed).toBe(true)
    expect(api.data.get(POINTER_KEY)).not.toBe(pointerAfter1)
    for (const d of manifestDigests(retried.manifest)) expect(api.data.has(BLOB_PREFIX + d)).toBe(true)
  })
})

describe('Cloudflare KV credentials', () => {
  it('come from the environment or from files a mounted Secret provides', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cf-secret-'))
    try {
      await writeFile(join(dir, 'api-token'), 'tok-from-file\n')
      await writeFile(join(dir, 'empty'), '\n')
      const fromFiles = cloudflareKvOptionsFromEnv({
        CLOUDFLARE_ACCOUNT_ID: 'acc',
        CLOUDFLARE_KV_NAMESPACE_ID: 'ns',
        CLOUDFLARE_API_TOKEN_FILE: join(dir, 'api-token'),
      })
      expect(fromFiles).toMatchObject({ accountId: 'acc', namespaceId: 'ns', apiToken: 'tok-from-file' })
      expect(() => cloudflareKvOptionsFromEnv({ CLOUDFLARE_ACCOUNT_ID: 'acc' })).toThrow(
        'Cloudflare KV: CLOUDFLARE_KV_NAMESPACE_ID, CLOUDFLARE_API_TOKEN not set (nor CLOUDFLARE_KV_NAMESPACE_ID_FILE, CLOUDFLARE_API_TOKEN_FILE)',
      )
      expect(() =>
        cloudflareKvOptionsFromEnv({ CLOUDFLARE_ACCOUNT_ID: 'a', CLOUDFLARE_KV_NAMESPACE_ID: 'n', CLOUDFLARE_API_TOKEN_FILE: join(dir, 'missing') }),
      ).toThrow(/CLOUDFLARE_API_TOKEN_FILE .*missing: ENOENT/)
      expect(() =>
        cloudflareKvOptionsFromEnv({ CLOUDFLARE_ACCOUNT_ID: 'a', CLOUDFLARE_KV_NAMESPACE_ID: 'n', CLOUDFLARE_API_TOKEN_FILE: join(dir, 'empty') }),
      ).toThrow(/is empty/)
      expect(() =>
        cloudflareKvOptionsFromEnv({
          CLOUDFLARE_ACCOUNT_ID: 'a',
          CLOUDFLARE_KV_NAMESPACE_ID: 'n',
          CLOUDFLARE_API_TOKEN: 't',
          CLOUDFLARE_API_TOKEN_FILE: join(dir, 'api-token'),
        }),
      ).toThrow(/not both/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
