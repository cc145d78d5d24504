// The test API server speaks the Kubernetes protocol as client-node expects it: paged lists with
// continue tokens (410 once compacted), label and field selectors, namespaced and cluster-wide
// paths, watches that replay from a resourceVersion, turn selector transitions into ADDED/DELETED
// and send BOOKMARKs, bearer-token auth, and merge patches. Checked through client-node's own
// transport (control-plane/controller/kube/request.ts) and Watch.
import { KubeConfig, Watch } from '@kubernetes/client-node'
import { request as httpsRequest } from 'node:https'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listAll } from '../../control-plane/controller/kube/list-all.ts'
import { KubeApiError, kubeRequest } from '../../control-plane/controller/kube/request.ts'
import { CORE_WATCHED, TRAEFIK_WATCHED, watchTargets } from '../../control-plane/controller/kube/watched-kinds.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { ingressRoute } from '../support/apiserver/objects.ts'
import { eventually } from '../support/eventually.ts'

const IR = TRAEFIK_WATCHED.find((k) => k.kind === 'IngressRoute')!
const SECRET = CORE_WATCHED.find((k) => k.kind === 'Secret')!

describe('test API server', () => {
  let api: TestApiServer
  let kc: KubeConfig

  beforeAll(async () => {
    api = await startApiServer({ tls: true, token: 's3cret', bookmarkIntervalMs: 100 })
    kc = new KubeConfig()
    kc.loadFromString(api.kubeconfig())
    for (let i = 0; i < 5; i++)
      api.apply(ingressRoute({ name: `r${i}`, namespace: i < 3 ? 'a' : 'b', match: `Host(\`r${i}\`)`, service: 's', labels: { tier: i % 2 ? 'odd' : 'even' } }))
  })
  afterAll(async () => {
    await api?.close()
  })

  it('refuses requests without the bearer token', async () => {
    const anonymous = new KubeConfig()
    anonymous.loadFromString(api.kubeconfig().replace(/token: s3cret/, 'token: wrong'))
    const err = await kubeRequest(anonymous, { path: IR.path() }).catch((e: unknown) => e)
    expect((err as KubeApiError).statusCode).toBe(401)
  })

  it('lists in pages with continue tokens, cluster-wide and per namespace, with label selectors', async () => {
    const all = await listAll(kc, { kind: IR, id: 'IngressRoute' }, 2)
    expect(all.items.map((o) => o.metadata?.name)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4'])
    expect(api.requests.filter((r) => r.startsWith('GET /apis/traefik.io/v1alpha1/ingressroutes?limit=2'))).toHaveLength(3)
    const inB = await listAll(kc, { kind: IR, namespace: 'b', id: 'x' }, 2)
    expect(inB.items.map((o) => o.metadata?.name)).toEqual(['r3', 'r4'])
    const odd = await listAll(kc, { kind: IR, labelSelector: 'tier=odd', id: 'x' })
    expect(odd.items.map((o) => o.metadata?.name)).toEqual(['r1', 'r3'])
  })

  it('answers 410 Gone to a continue token older than the last compaction', async () => {
    const page = await kubeRequest<{ metadata: { continue: string } }>(kc, { path: IR.path(), query: { limit: 1 } })
    api.apply(ingressRoute({ name: 'r9', namespace: 'a', match: 'Host(`r9`)', service: 's' }))
    api.store.compact()
    const err = await kubeRequest(kc, { path: IR.path(), query: { limit: 1, continue: page.metadata.continue } }).catch((e: unknown) => e)
    expect(err).toMatchObject({ statusCode: 410, reason: 'Expired' })
    api.remove('IngressRoute', 'a', 'r9')
  })

  it('filters Secrets with field and label selectors as the controller asks', async () => {
    api.apply(
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'users', namespace: 'a' }, type: 'Opaque', data: {} },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'sh.helm.release.v1.x.v1', namespace: 'a', labels: { owner: 'helm' } },
        type: 'helm.sh/release.v1',
        data: {},
      },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'a' }, type: 'kubernetes.io/service-account-token', data: {} },
    )
    const [target] = watchTargets({ namespaces: ['a'], labelSelector: 'ignored=for-secrets' }).filter((t) => t.kind === SECRET)
    expect(target).toMatchObject({ id: 'Secret@a', labelSelector: 'owner!=helm' })
    const list = await listAll(kc, target!)
    expect(list.items.map((o) => o.metadata?.name)).toEqual(['users'])
  })

  it('watches from a resourceVersion: replays, turns selector transitions into ADDED/DELETED, sends bookmarks', async () => {
    const from = (await kubeRequest<{ metadata: { resourceVersion: string } }>(kc, { path: IR.path('a') })).metadata.resourceVersion
    api.apply(ingressRoute({ name: 'w1', namespace: 'a', match: 'Host(`w1`)', service: 's', labels: { tier: 'odd' } }))
    const events: Array<{ type: string; name?: string; rv?: string }> = []
    const controller = await new Watch(kc).watch(
      IR.path('a'),
      { resourceVersion: from, labelSelector: 'tier=odd', allowWatchBookmarks: true },
      (type, obj: { metadata?: { name?: string; resourceVersion?: string } }) =>
        events.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion }),
      () => {},
    )
    try {
      await eventually(() => expect(events.map((e) => `${e.type} ${e.name}`)).toContain('ADDED w1'))
      // Stops matching the selector: DELETED; matches again: ADDED; in another namespace: nothing.
      api.apply(ingressRoute({ name: 'w1', namespace: 'a', match: 'Host(`w1`)', service: 's', labels: { tier: 'even' } }))
      api.apply(ingressRoute({ name: 'w1', namespace: 'a', match: 'Host(`w1`)', service: 's', labels: { tier: 'odd' } }))
      api.apply(ingressRoute({ name: 'w2', namespace: 'b', match: 'Host(`w2`)', service: 's', labels: { tier: 'odd' } }))
      api.remove('IngressRoute', 'a', 'w1')
      await eventually(() =>
        expect(events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.name}`)).toEqual(['ADDED w1', 'DELETED w1', 'ADDED w1', 'DELETED w1']),
      )
      await eventually(() => expect(events.some((e) => e.type === 'BOOKMARK' && Number(e.rv) >= Number(from))).toBe(true))
    } finally {
      controller.abort()
    }
  })

  it("reads `watch` as Go's strconv.ParseBool does: True, true, t, 1 stream events; False, 0 list", async () => {
    // The first chunk of the answer: a watch never ends, so the request is dropped after it.
    const first = (watch: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          `${api.url}${IR.path()}?watch=${watch}&resourceVersion=0`,
          { headers: { authorization: 'Bearer s3cret' }, rejectUnauthorized: false },
          (res) => {
            res.setEncoding('utf8')
            res.once('data', (chunk: string) => {
              resolve(chunk)
              req.destroy()
            })
          },
        )
        req.on('error', reject)
        req.end()
      })
    for (const spelling of ['True', 'true', 't', '1']) expect(JSON.parse((await first(spelling)).split('\n')[0]!), spelling).toMatchObject({ type: 'ADDED' })
    for (const spelling of ['False', '0']) expect(JSON.parse(await first(spelling)), spelling).toMatchObject({ kind: 'IngressRouteList' })
  })

  it('sends a 410 ERROR event to a watch from a compacted resourceVersion', async () => {
    const events: Array<{ type: string; code?: number }> = []
    let done!: () => void
    const ended = new Promise<void>((r) => (done = r))
    await new Watch(kc).watch(
      IR.path(),
      { resourceVersion: '1' },
      (type, obj: { code?: number }) => events.push({ type, code: obj.code }),
      () => done(),
    )
    await ended
    expect(events).toEqual([{ type: 'ERROR', code: 410 }])
  })

  it('merge-patches objects and refuses stale updates with 409', async () => {
    const path = `${IR.path('a')}/r0`
    const before = await kubeRequest<{ metadata: { resourceVersion: string; labels: Record<string, string> } }>(kc, { path })
    const patched = await kubeRequest<{ metadata: { labels: Record<string, string> } }>(kc, {
      method: 'PATCH',
      path,
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { extra: 'yes' } } },
    })
    expect(patched.metadata.labels).toEqual({ ...before.metadata.labels, extra: 'yes' })
    const err = await kubeRequest(kc, { method: 'PUT', path, body: before }).catch((e: unknown) => e)
    expect(err).toMatchObject({ statusCode: 409, reason: 'Conflict' })
    const missing = await kubeRequest(kc, { path: `${IR.path('a')}/nope` }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(KubeApiError)
    expect((missing as KubeApiError).statusCode).toBe(404)
  })
})
