// The control plane against a cluster: real client-node informers on the test API server over
// HTTP, compile -> publish -> the real edge on workerd serves what the cluster holds, follows every
// change, and turns the compiler's problems into Events on the objects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClusterController } from '../../control-plane/controller/kube/controller.ts'
import { KubeApiError, kubeRequest } from '../../control-plane/controller/kube/request.ts'
import { POINTER_KEY } from '../../shared/kv/layout.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { ingressRoute } from '../support/apiserver/objects.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { eventually } from '../support/eventually.ts'

const served = async (c: TestCluster, host: string, path = '/') => {
  const res = await c.edge.request(path, { headers: { host } })
  return res.status
}

describe('cluster watch', () => {
  let c: TestCluster
  let controller: ClusterController

  beforeAll(async () => {
    c = await startCluster()
    c.api.apply(ingressRoute({ name: 'a', match: 'Host(`a.example`)', service: 'whoami' }))
    controller = await c.controller()
  })
  afterAll(async () => {
    await c?.stop()
  })

  it('serves what the cluster holds once every informer has synced', async () => {
    await eventually(async () => expect(await served(c, 'a.example')).toBe(200), { what: 'a.example served' })
    expect(controller.state()).toMatchObject({ synced: true, leader: true, ready: true })
    // Every kind was listed once, with paging.
    expect(
      c.api.requests.filter((r) => r.startsWith('GET /apis/traefik.io/v1alpha1/ingressroutes?') && r.includes('limit=500') && !r.includes('watch')),
    ).toHaveLength(1)
    expect(c.api.requests.some((r) => r.startsWith('GET /api/v1/secrets?') && r.includes('fieldSelector=type'))).toBe(true)
  })

  it('follows additions, changes and deletions', async () => {
    c.api.apply(ingressRoute({ name: 'b', match: 'Host(`b.example`)', service: 'whoami' }))
    await eventually(async () => expect(await served(c, 'b.example')).toBe(200), { what: 'b.example added' })
    c.api.apply(ingressRoute({ name: 'b', match: 'Host(`b2.example`)', service: 'whoami' }))
    await eventually(
      async () => {
        expect(await served(c, 'b2.example')).toBe(200)
        expect(await served(c, 'b.example')).toBe(404)
      },
      { what: 'b moved to b2.example' },
    )
    c.api.remove('IngressRoute', 'demo', 'b')
    await eventually(async () => expect(await served(c, 'b2.example')).toBe(404), { what: 'b deleted' })
    expect(await served(c, 'a.example')).toBe(200)
  })

  it('pushes nothing when a change does not change the table', async () => {
    await controller.idle()
    const pushes = controller.counters.pushes
    const pointer = await c.edge.store.get([POINTER_KEY])
    // A label nobody selects on: new resourceVersion, same table.
    c.api.apply({
      ...ingressRoute({ name: 'a', match: 'Host(`a.example`)', service: 'whoami' }),
      metadata: { name: 'a', namespace: 'demo', labels: { team: 'x' } },
    })
    await new Promise((r) => setTimeout(r, 200))
    await controller.idle()
    expect(controller.counters.pushes).toBe(pushes)
    expect(pointer.get(POINTER_KEY)).toBeTruthy()
    expect(await c.edge.store.get([POINTER_KEY])).toEqual(pointer)
  })

  it('writes Events on objects with problems, once per problem, counts a problem that comes back, and says when it is gone', async () => {
    c.api.apply(ingressRoute({ name: 'broken', match: 'Host(`broken.example`)', service: 'missing' }))
    const all = () => c.api.objects('Event', 'demo', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'broken')
    const events = () => all().filter((e) => e.type === 'Warning')
    const [event] = await eventually(
      () => {
        const list = events()
        expect(list).toHaveLength(1)
        return list
      },
      { what: 'an Event on broken' },
    )
    expect(event).toMatchObject({
      type: 'Warning',
      reason: expect.stringMatching(/Configuration/),
      involvedObject: { kind: 'IngressRoute', apiVersion: 'traefik.io/v1alpha1', namespace: 'demo', name: 'broken', uid: expect.any(String) },
      count: 1,
      source: { component: 'traefik-edge' },
    })
    expect(event!.message).toMatch(/missing/)
    // Another change elsewhere recompiles: the persisting problem is not written again.
    c.api.apply(ingressRoute({ name: 'c', match: 'Host(`c.example`)', service: 'whoami' }))
    await eventually(async () => expect(await served(c, 'c.example')).toBe(200))
    expect(events()).toHaveLength(1)
    // Fixed, then broken again: the same Event, counted up.
    c.api.apply(ingressRoute({ name: 'broken', match: 'Host(`broken.example`)', service: 'whoami' }))
    await eventually(async () => expect(await served(c, 'broken.example')).toBe(200))
    await eventually(
      () =>
        expect(
          all()
            .filter((e) => e.type === 'Normal')
            .map((e) => e.reason),
        ).toEqual(['ConfigurationValid']),
      { what: 'a Normal Event once fixed' },
    )
    c.api.apply(ingressRoute({ name: 'broken', match: 'Host(`broken.example`)', service: 'missing' }))
    await eventually(() => expect(events()[0]!.count).toBe(2), { what: 'count 2' })
    expect(events()).toHaveLength(1)
  })

  it("writes the edge table's problems as Events too, in the words npm run compile prints", async () => {
    c.api.apply(ingressRoute({ name: 'pathh', match: 'Host(`p.example`) && Pathh(`/x`)', service: 'whoami' }))
    const [event] = await eventually(
      () => {
        const list = c.api.objects('Event', 'demo', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'pathh')
        expect(list).toHaveLength(1)
        return list
      },
      { what: 'an Event on pathh' },
    )
    expect(event).toMatchObject({ reason: 'InvalidConfiguration', involvedObject: { kind: 'IngressRoute', name: 'pathh', fieldPath: 'spec.routes[0].match' } })
    expect(event!.message).toBe(
      'spec.routes[0].match: error while parsing rule Host(`p.example`) && Pathh(`/x`): parsing rule Host(`p.example`) && Pathh(`/x`): unsupported function: Pathh ' +
        '(known matchers: ClientIP, Header, HeaderRegexp, Host, HostRegexp, Method, Path, PathPrefix, PathRegexp, Query, QueryRegexp; did you mean Path?)',
    )
  })

  it('serves api@internal from the document each incremental build writes, with what changed since', async () => {
    c.api.apply({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'traefik-api', namespace: 'demo' },
      spec: { routes: [{ kind: 'Rule', match: 'Host(`traefik.example`)', services: [{ name: 'api@internal', kind: 'TraefikService' }] }] },
    })
    const routers = async () => {
      const res = await c.edge.request('/api/http/routers', { headers: { host: 'traefik.example' } })
      expect(res.status).toBe(200)
      return (JSON.parse(res.body) as Array<{ name: string; service: string }>).map((r) => r.name.replace(/-[0-9a-f]{20}@/, '-X@'))
    }
    await eventually(async () => expect(await routers()).toContain('demo-traefik-api-X@kubernetescrd'), { what: 'the API served' })
    expect((await c.edge.store.get([POINTER_KEY])).get(POINTER_KEY)).toBeDefined()
    // A change elsewhere is applied incrementally, and the document says it.
    c.api.apply(ingressRoute({ name: 'later', match: 'Host(`later.example`)', service: 'whoami' }))
    await eventually(async () => expect(await routers()).toContain('demo-later-X@kubernetescrd'), { what: 'the new router in the API' })
    expect(c.logs.some((l) => /published .*; 1 change: /.test(l))).toBe(true)
    c.api.remove('IngressRoute', 'demo', 'later')
    c.api.remove('IngressRoute', 'demo', 'traefik-api')
    await eventually(async () => expect((await c.edge.request('/api/http/routers', { headers: { host: 'traefik.example' } })).status).toBe(404), {
      what: 'the API route gone',
    })
  })

  it("applies Traefik's namespace and label filters on the API server (label selector on Traefik kinds only)", async () => {
    c.api.apply(
      ingressRoute({ name: 'picked', namespace: 'demo', match: 'Host(`picked.example`)', service: 'whoami', labels: { edge: 'yes' } }),
      ingressRoute({ name: 'unlabelled', namespace: 'demo', match: 'Host(`unlabelled.example`)', service: 'whoami' }),
      ingressRoute({ name: 'elsewhere', namespace: 'other', match: 'Host(`elsewhere.example`)', service: 'whoami', labels: { edge: 'yes' } }),
    )
    const filtered = await c.controller({
      identity: 'filtered',
      store: createMemoryKvStore(),
      provider: { namespaces: ['demo'], labelSelector: 'edge=yes' },
      events: false,
    })
    await eventually(() => expect(filtered.state().publishedVersion).not.toBeNull(), { what: 'filtered controller published' })
    expect(filtered.objectCounts().get('IngressRoute')).toBe(1)
    expect(filtered.objectCounts().get('Service')).toBe(1)
    expect(c.api.requests).toContain('GET /apis/traefik.io/v1alpha1/namespaces/demo/ingressroutes?limit=500&labelSelector=edge%3Dyes')
    expect(c.api.requests).toContain('GET /api/v1/namespaces/demo/services?limit=500')
    await filtered.stop()
  })

  it('watches Nodes for NodePort load balancing (nodePortLB)', async () => {
    c.api.apply(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }] } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'np', namespace: 'demo' },
        spec: { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: c.upstream.port }] },
      },
      {
        apiVersion: 'traefik.io/v1alpha1',
        kind: 'IngressRoute',
        metadata: { name: 'np', namespace: 'demo' },
        spec: { routes: [{ kind: 'Rule', match: 'Host(`np.example`)', services: [{ name: 'np', port: 80, nodePortLB: true }] }] },
      },
    )
    await eventually(async () => expect(await served(c, 'np.example')).toBe(200), { what: 'NodePort route served' })
    expect(controller.objectCounts().get('Node')).toBe(1)
    expect(c.api.requests).toContain('GET /api/v1/nodes?limit=500')
  })

  it('refuses objects the CRD schema refuses, as the API server does', async () => {
    const bad = ingressRoute({ name: 'bad', match: 'Host(`bad.example`)', service: 'whoami' })
    ;(bad.spec as { routes: Array<Record<string, unknown>> }).routes[0]!.kind = 'NotAKind'
    expect(() => c.api.apply(bad)).toThrow(/spec\.routes\[0\]\.kind/)
    const err = await kubeRequest(c.kubeConfig(), { method: 'POST', path: '/apis/traefik.io/v1alpha1/namespaces/demo/ingressroutes', body: bad }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(KubeApiError)
    expect(err).toMatchObject({
      statusCode: 422,
      reason: 'Invalid',
      message: expect.stringMatching(/IngressRoute\.traefik\.io "bad" is invalid: spec\.routes\[0\]\.kind/),
    })
    expect(c.api.objects('IngressRoute', 'demo').map((o) => o.metadata?.name)).not.toContain('bad')
  })
})
