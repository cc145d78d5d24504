// The version beacon on the real workerd runtime: the control plane PUTs each new pointer to the
// worker's guarded endpoint, the TableBeacon Durable Object keeps it, and isolates that ask it
// serve the new table while KV (simulated as Workers KV at one location) still shows the old
// pointer. Real worker, real YAML, real upstreams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportJWK, generateKeyPair } from 'jose'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { BEACON_PATH, httpBeacon } from '../../control-plane/publish/beacon.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { signerFromJwk } from '../../control-plane/publish/signing-key.ts'
import { POINTER_KEY, blobKey } from '../../shared/kv/layout.ts'
import { buildEdgeInput, startEdge, type TestEdge } from '../support/edge.ts'
import { eventually } from '../support/eventually.ts'
import { send } from '../support/http.ts'
import { ingressRouteYaml, serviceYaml } from '../support/manifests.ts'
import { staleKv, type StaleKv } from '../support/stale-kv.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

const TOKEN = 'beacon-test-token'

describe('version beacon', () => {
  let inner: ReturnType<typeof createMemoryKvStore>
  let kv: StaleKv
  let edge: TestEdge
  let publisher: TablePublisher
  const ups: Upstream[] = []

  /** A table routing a.example to upstream `i`. */
  const table = (i: number) =>
    buildEdgeInput({
      yaml:
        serviceYaml({ name: 'svc', addresses: [ups[i]!.host], port: ups[i]!.port }) +
        '---\n' +
        ingressRouteYaml({ name: 'r', match: 'Host(`a.example`)', service: 'svc' }),
    }).table
  const servedBy = async () => {
    const res = await edge.request('/', { headers: { host: 'a.example' } })
    return res.status === 200 ? (JSON.parse(res.body) as { server: string }).server : `status ${res.status}`
  }

  beforeAll(async () => {
    for (const [i, host] of ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].entries()) ups.push(await startUpstream({ host, name: `up${i}` }))
    inner = createMemoryKvStore()
    kv = staleKv(inner)
    // KV's pointer is looked at once a minute, as Workers KV would show it anyway; the beacon every 200 ms.
    // The worker's secret with a file's newline (as the dashboard or the API store it): both sides trim.
    edge = await startEdge({
      store: kv,
      vars: { TABLE_BEACON_TOKEN: `${TOKEN}\n`, TABLE_BEACON_MS: '200', TABLE_REFRESH_MS: '60000', TABLE_REFRESH_WAIT_MS: '0' },
    })
    publisher = await TablePublisher.open({
      store: inner,
      signer: edge.local.signer,
      pointerMinIntervalMs: 0,
      beacon: httpBeacon({ url: edge.url(), token: TOKEN }),
    })
  })
  afterAll(async () => {
    await edge?.stop()
    for (const u of ups) await u.close()
  })

  it('a new table is served from the beacon while KV still shows the old pointer', async () => {
    const first = await publisher.publish(table(0))
    expect(first.beacon).toEqual({ ok: true })
    await eventually(async () => expect(await servedBy()).toBe('up0'), { what: 'first table served' })

    await kv.freeze()
    const oldPointer = inner.data.get(POINTER_KEY)
    const second = await publisher.publish(table(1))
    expect(second.beacon).toEqual({ ok: true })
    await eventually(async () => expect(await servedBy()).toBe('up1'), { what: 'second table served through the beacon' })
    // What the worker reads from KV is still the first pointer: the change came from the beacon.
    expect((await kv.get([POINTER_KEY])).get(POINTER_KEY)).toBe(oldPointer)
    expect(inner.data.get(POINTER_KEY)).not.toBe(oldPointer)
  })

  it('keeps the last good table while KV does not show the new blobs yet, then loads them', async () => {
    const next = table(2)
    const { blobs } = await import('../../shared/kv/pack-table.ts').then((m) => m.packTable(next))
    for (const digest of blobs.keys()) kv.hidden.add(blobKey(digest))
    const result = await publisher.publish(next)
    expect(result.beacon).toEqual({ ok: true })
    const readsBefore = kv.reads.length
    // Requests start the worker's checks; until KV shows the blobs, the last good table serves.
    await eventually(
      async () => {
        expect(await servedBy()).toBe('up1')
        expect(kv.reads.slice(readsBefore).some((k) => kv.hidden.has(k))).toBe(true)
      },
      { what: 'the worker tried the new blobs' },
    )
    for (let i = 0; i < 5; i++) expect(await servedBy()).toBe('up1')
    expect(edge.logs.join('\n')).toMatch(/named by the pointer is missing/)
    kv.hidden.clear()
    await eventually(async () => expect(await servedBy()).toBe('up2'), { what: 'the table once its blobs are readable' })
  })

  it('refuses a pointer not signed by the edge key and an older pointer; a retry of the same one is fine', async () => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const stranger = await signerFromJwk(await exportJWK(privateKey))
    const forged = await TablePublisher.open({
      store: createMemoryKvStore(),
      signer: stranger,
      pointerMinIntervalMs: 0,
      beacon: httpBeacon({ url: edge.url(), token: TOKEN, attempts: 1 }),
    })
    const refused = await forged.publish(table(3))
    expect(refused.beacon).toMatchObject({ error: expect.stringMatching(/: 400 .*pointer signature refused/) })

    const put = (body: string) => send(edge.url() + BEACON_PATH, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` }, body })
    const current = inner.data.get(POINTER_KEY)!
    expect((await put(current)).status).toBe(200)
    // Signed by the right key, but issued before the pointer the beacon holds (a delayed or replayed PUT).
    const scratch = createMemoryKvStore()
    const older = await TablePublisher.open({ store: scratch, signer: edge.local.signer, pointerMinIntervalMs: 0, now: () => 1000 })
    await older.publish(table(3))
    const stale = await put(scratch.data.get(POINTER_KEY)!)
    expect(stale.status).toBe(409)
    expect(stale.body).toMatch(/older than the pointer held/)
    for (let i = 0; i < 3; i++) expect(await servedBy()).toBe('up2')
  })

  it('without the exact token the path is routed like any other', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`]) {
      const res = await send(edge.url() + BEACON_PATH, {
        method: 'PUT',
        headers: { host: 'nowhere.example', ...(authorization ? { authorization } : {}) },
        body: inner.data.get(POINTER_KEY)!,
      })
      expect(res.status).toBe(404)
      expect(res.body).toMatch(/^404 page not found/)
    }
    // A routed host gets the request forwarded to its service, path and all.
    const routed = await send(edge.url() + BEACON_PATH, { method: 'PUT', headers: { host: 'a.example', authorization: 'Bearer wrong' }, body: 'x' })
    expect(JSON.parse(routed.body)).toMatchObject({ server: 'up2', method: 'PUT', url: BEACON_PATH })
  })

  it('a publisher that restarts announces the stored pointer again', async () => {
    const calls: string[] = []
    const restarted = await TablePublisher.open({
      store: inner,
      signer: edge.local.signer,
      pointerMinIntervalMs: 0,
      beacon: async (pointer) => void calls.push(pointer),
    })
    const same = await restarted.publish(table(2))
    expect(same.changed).toBe(false)
    expect(same.beacon).toEqual({ ok: true })
    expect(calls).toEqual([inner.data.get(POINTER_KEY)])
    expect((await restarted.publish(table(2))).beacon).toBeUndefined()
  })
})
