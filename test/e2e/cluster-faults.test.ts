// Faults between the cluster and the edge: dropped and reset watches, 410 Gone after compaction,
// API server 5xx answers, a lying watch stream that empties the cache, and Workers KV answering
// 429 and 5xx. After each, the edge serves the cluster's latest configuration and nothing is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClusterController } from '../../control-plane/controller/kube/controller.ts'
import { watchTargets } from '../../control-plane/controller/kube/watched-kinds.ts'
import { createCloudflareKvStore } from '../../control-plane/controller/cloudflare/kv-store.ts'
import { ingressRoute } from '../support/apiserver/objects.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { eventually } from '../support/eventually.ts'
import { startFakeCloudflareKv, type FakeCloudflareKv } from '../support/fake-cloudflare-kv.ts'
import { startEdge, type TestEdge } from '../support/edge.ts'
import { blobKey, POINTER_KEY, type TableManifest } from '../../shared/kv/layout.ts'
import { manifestDigests } from '../../control-plane/publish/publisher.ts'

const route = (name: string, host = `${name}.example`) => ingressRoute({ name, match: `Host(\`${host}\`)`, service: 'whoami' })
const status = async (edge: TestEdge, host: string) => (await edge.request('/', { headers: { host } })).status
/** One watch per kind, Nodes included. */
const WATCHES = watchTargets({ namespaces: null, labelSelector: '' }).length
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)

describe('cluster faults', () => {
  let c: TestCluster
  let controller: ClusterController

  beforeAll(async () => {
    c = await startCluster()
    c.api.apply(route('base'))
    controller = await c.controller()
    await eventually(async () => expect(await status(c.edge, 'base.example')).toBe(200), { what: 'first table' })
  })
  afterAll(async () => {
    await c?.stop()
  })

  it('a watch that ends cleanly is resumed from its resourceVersion, without a relist', async () => {
    const lists = total(controller.counters.lists)
    c.api.dropWatches('end')
    c.api.apply(route('after-end'))
    await eventually(async () => expect(await status(c.edge, 'after-end.example')).toBe(200), { what: 'change after a clean end' })
    expect(total(controller.counters.lists)).toBe(lists)
    expect(total(controller.counters.informerRestarts)).toBe(0)
  })

  it("watches that keep ending without events are re-opened within the cap, not after ListWatch's growing delay", async () => {
    // ListWatch alone would wait 1, 2, 4, 8 s... between re-opens of a quiet kind's watch.
    for (let i = 0; i < 5; i++) {
      await eventually(() => expect(c.api.openWatches).toBe(WATCHES), { what: `every watch open (round ${i})`, timeoutMs: 3000 })
      c.api.dropWatches('end')
    }
    c.api.apply({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'Middleware',
      metadata: { name: 'strip', namespace: 'demo' },
      spec: { stripPrefix: { prefixes: ['/strip'] } },
    })
    c.api.apply(ingressRoute({ name: 'quiet', match: 'Host(`quiet.example`)', service: 'whoami', middlewares: ['strip'] }))
    await eventually(
      async () => {
        const res = await c.edge.request('/strip/x', { headers: { host: 'quiet.example' } })
        expect(res.status).toBe(200)
        expect(JSON.parse(res.body).url).toBe('/x')
      },
      { what: 'a quiet kind followed', timeoutMs: 3000 },
    )
  })

  it("a reset watch connection stops client-node's informer: it is restarted and counted", async () => {
    await eventually(() => expect(c.api.openWatches).toBe(WATCHES), { what: 'every watch open' })
    const restarts = total(controller.counters.informerRestarts)
    c.api.dropWatches('reset')
    // Written while no watch is open: the restarted informer resumes from its resourceVersion.
    c.api.apply(route('after-reset'))
    await eventually(async () => expect(await status(c.edge, 'after-reset.example')).toBe(200), { what: 'change after a reset' })
    expect(total(controller.counters.informerRestarts)).toBeGreaterThanOrEqual(restarts + WATCHES)
    expect(c.logs.some((l) => /watch IngressRoute: stopped .*restarting in \d+ ms/.test(l))).toBe(true)
  })

  it('410 Gone after compaction makes the informers relist', async () => {
    const lists = total(controller.counters.lists)
    c.api.remove('IngressRoute', 'demo', 'after-end')
    c.api.apply(route('after-compaction'))
    c.api.store.compact()
    c.api.dropWatches('reset')
    await eventually(
      async () => {
        expect(await status(c.edge, 'after-compaction.example')).toBe(200)
        expect(await status(c.edge, 'after-end.example')).toBe(404)
      },
      { what: 'state after 410' },
    )
    expect(total(controller.counters.lists)).toBeGreaterThan(lists)
    expect(c.api.requests.filter((r) => /ingressroutes\?watch=true&resourceVersion=/.test(r)).length).toBeGreaterThan(2)
  })

  it('API server 5xx answers on lists and watches are retried with backoff', async () => {
    const restarts = total(controller.counters.informerRestarts)
    c.api.faults.fail({ status: 503, times: 4, match: /^GET \/apis\/traefik\.io\/v1alpha1\/ingressroutes/ })
    c.api.faults.fail({ status: 500, times: 2, match: /^GET \/api\/v1\/services/ })
    c.api.store.compact()
    c.api.dropWatches('reset')
    c.api.apply(route('after-5xx'))
    await eventually(async () => expect(await status(c.edge, 'after-5xx.example')).toBe(200), { what: 'change after 5xx', timeoutMs: 15_000 })
    expect(c.api.faults.rules.every((r) => r.times === 0)).toBe(true)
    // Every injected failure (4 + 2, all consumed) stopped an informer that was then restarted.
    expect(total(controller.counters.informerRestarts)).toBeGreaterThanOrEqual(restarts + 6)
    expect(await status(c.edge, 'base.example')).toBe(200)
  })

  it('asks for watches as client-go does: bookmarks, a server-side timeout, and the last resourceVersion seen', async () => {
    const watches = c.api.requests.filter((r) => r.startsWith('GET ') && /[?&]watch=true/.test(r))
    expect(watches.length).toBeGreaterThanOrEqual(WATCHES)
    for (const w of watches) {
      const q = new URL(w.slice(4), 'http://x').searchParams
      expect(q.get('allowWatchBookmarks')).toBe('true')
      expect(Number(q.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300)
      expect(Number(q.get('timeoutSeconds'))).toBeLessThan(600)
      expect(q.get('resourceVersion')).toMatch(/^\d+$/)
    }
  })

  it("converges while the API server ends watches and answers 410 at a busy server's rates", async () => {
    const lists = total(controller.counters.lists)
    const watchesBefore = c.api.requests.length
    // Every watch lives 50-400 ms; 30 % of resumptions are answered 410 Gone (a busy kind, a restart).
    c.api.churn({ lifetimeMs: [50, 400], goneRatio: 0.3, seed: 7 })
    try {
      for (let i = 0; i < 30; i++) {
        c.api.apply(route(`churn-${i % 10}`, `churn-${i % 10}-v${Math.floor(i / 10)}.example`))
        await new Promise((r) => setTimeout(r, 40))
      }
      for (let i = 0; i < 10; i++)
        await eventually(async () => expect(await status(c.edge, `churn-${i}-v2.example`)).toBe(200), {
          what: `churn-${i} at its last version`,
          timeoutMs: 20_000,
        })
      for (let i = 0; i < 10; i++) expect(await status(c.edge, `churn-${i}-v1.example`)).toBe(404)
      const resumed = c.api.requests.slice(watchesBefore).filter((r) => /[?&]watch=true/.test(r) && /resourceVersion=[1-9]/.test(r))
      expect(resumed.length).toBeGreaterThan(WATCHES)
      // The 410s were answered by relisting, the clean ends by resuming.
      expect(total(controller.counters.lists)).toBeGreaterThan(lists)
    } finally {
      c.api.churn(null)
    }
    // And it keeps following changes once the churn stops.
    c.api.apply(route('after-churn'))
    await eventually(async () => expect(await status(c.edge, 'after-churn.example')).toBe(200), { what: 'change after the churn' })
  })

  it('a cache emptied by a lying watch is not published: the API server disagrees, so the cache is relisted', async () => {
    const holds = controller.counters.shrinkHolds
    const lists = controller.counters.lists.get('IngressRoute') ?? 0
    const pushes = controller.counters.pushes
    // A lie reaches open watches only (it is in no history a re-opened watch would replay): after
    // the churn above, wait until every watch is open again.
    await eventually(() => expect(c.api.openWatches).toBe(WATCHES), { what: 'every watch open' })
    for (const ir of c.api.objects('IngressRoute', 'demo')) c.api.lie('DELETED', ir)
    await eventually(() => expect(controller.counters.shrinkHolds).toBeGreaterThan(holds), { what: 'a held table' })
    expect(c.logs.some((l) => /table shrank from \d+ to 0 routers and the API server does not confirm it/.test(l))).toBe(true)
    await eventually(() => expect(controller.counters.lists.get('IngressRoute')).toBeGreaterThan(lists), { what: 'a relist' })
    await controller.idle()
    expect(await status(c.edge, 'base.example')).toBe(200)
    // The relisted cache is the published table again: nothing new pushed.
    expect(controller.counters.pushes).toBe(pushes)
    c.api.apply(route('after-lie'))
    await eventually(async () => expect(await status(c.edge, 'after-lie.example')).toBe(200), { what: 'change after the relist' })
    expect(await status(c.edge, 'base.example')).toBe(200)
  })

  it('a real deletion of everything is confirmed by the API server and published', async () => {
    for (const ir of c.api.objects('IngressRoute', 'demo')) c.api.remove('IngressRoute', 'demo', ir.metadata!.name!)
    await eventually(async () => expect(await status(c.edge, 'base.example')).toBe(404), { what: 'confirmed empty table' })
    c.api.apply(route('base'))
    await eventually(async () => expect(await status(c.edge, 'base.example')).toBe(200), { what: 'base back' })
  })
})

describe('Workers KV faults', () => {
  let c: TestCluster
  let kv: FakeCloudflareKv
  let edge: TestEdge

  beforeAll(async () => {
    c = await startCluster()
    kv = await startFakeCloudflareKv()
    // The edge reads the same (fake) Workers KV namespace the controller writes to.
    const store = () =>
      createCloudflareKvStore({
        accountId: kv.accountId,
        namespaceId: kv.namespaceId,
        apiToken: kv.token,
        baseUrl: kv.baseUrl,
        baseDelayMs: 10,
        maxDelayMs: 50,
        maxAttempts: 3,
      })
    edge = await startEdge({ store: store() })
    c.api.apply(route('kv'))
    await c.controller({ store: store(), signer: edge.local.signer })
  })
  afterAll(async () => {
    await edge?.stop()
    await kv?.close()
    await c?.stop()
  })

  it('429 and 5xx on writes are retried until the table lands; the pointer never names a missing blob', async () => {
    await eventually(async () => expect(await status(edge, 'kv.example')).toBe(200), { what: 'first table through KV' })
    // More failures than the store's own attempts: the publish fails and the controller retries it.
    kv.faults.push({ route: 'PUT /bulk', status: 429, retryAfter: '0', times: 2 }, { route: 'PUT /bulk', status: 503, times: 3 })
    c.api.apply(route('kv2'))
    await eventually(async () => expect(await status(edge, 'kv2.example')).toBe(200), { what: 'table after KV faults', timeoutMs: 15_000 })
    expect(kv.faults.every((f) => f.times === 0)).toBe(true)
    expect(c.logs.some((l) => /publish failed: .*retrying in \d+ ms/.test(l))).toBe(true)
    const manifest = JSON.parse(Buffer.from(kv.data.get(POINTER_KEY)!.split('.')[1]!, 'base64url').toString()) as TableManifest
    for (const digest of manifestDigests(manifest)) {
      expect(kv.data.has(blobKey(digest))).toBe(true)
    }
    expect(await status(edge, 'kv.example')).toBe(200)
  })
})
