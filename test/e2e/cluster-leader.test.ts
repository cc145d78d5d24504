// Two replicas on one Lease: one leader publishes, the standby watches (warm) and publishes
// nothing; a leader that dies without releasing is replaced within the lease duration, one that
// shuts down releases the Lease and is replaced at once. After each, the edge serves the latest
// configuration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ClusterController } from '../../control-plane/controller/kube/controller.ts'
import { KubeApiError, kubeRequest } from '../../control-plane/controller/kube/request.ts'
import { ingressRoute } from '../support/apiserver/objects.ts'
import { startCluster, type TestCluster } from '../support/cluster.ts'
import { eventually } from '../support/eventually.ts'

const LEASE = { namespace: 'traefik-edge', name: 'controller', leaseDurationMs: 1000, renewDeadlineMs: 700, retryPeriodMs: 200 }
const route = (name: string) => ingressRoute({ name, match: `Host(\`${name}.example\`)`, service: 'whoami' })
const holder = (c: TestCluster) => (c.api.objects('Lease', LEASE.namespace)[0]?.spec as { holderIdentity?: string } | undefined)?.holderIdentity

describe('leader election', () => {
  let c: TestCluster
  let a: ClusterController
  let b: ClusterController

  beforeAll(async () => {
    c = await startCluster()
    c.api.apply(route('one'))
    a = await c.controller({ identity: 'a', lease: LEASE })
    await eventually(() => expect(a.state().ready && a.state().leader).toBe(true), { what: 'a leads' })
    b = await c.controller({ identity: 'b', lease: LEASE })
  })
  afterAll(async () => {
    await c?.stop()
  })

  it('one leader publishes; the standby syncs its cache and publishes nothing', async () => {
    await eventually(() => expect(b.state()).toMatchObject({ synced: true, leader: false, ready: true }), { what: 'b synced' })
    expect(holder(c)).toBe('a')
    expect((await c.edge.request('/', { headers: { host: 'one.example' } })).status).toBe(200)
    c.api.apply(route('two'))
    await eventually(async () => expect((await c.edge.request('/', { headers: { host: 'two.example' } })).status).toBe(200))
    expect(a.counters.pushes).toBeGreaterThanOrEqual(2)
    expect(b.counters.pushes).toBe(0)
    expect(b.state().publishedVersion).toBeNull()
  })

  it('a leader that dies without releasing is replaced within the lease duration', async () => {
    c.api.apply(ingressRoute({ name: 'broken', match: 'Host(`broken.example`)', service: 'missing' }))
    const events = () => c.api.objects('Event', 'demo', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'broken')
    await eventually(() => expect(events()).toHaveLength(1), { what: "a's Event" })
    await a.stop({ release: false })
    const killedAt = Date.now()
    c.api.apply(route('three'))
    await eventually(() => expect(b.state().leader).toBe(true), { what: 'b takes over', timeoutMs: LEASE.leaseDurationMs + 2000 })
    const tookOver = Date.now() - killedAt
    // Not before the dead leader's Lease expired by b's clock (its last renewal was just before the kill).
    expect(tookOver).toBeGreaterThan(LEASE.leaseDurationMs / 2)
    expect(holder(c)).toBe('b')
    await eventually(async () => expect((await c.edge.request('/', { headers: { host: 'three.example' } })).status).toBe(200))
    expect((c.api.objects('Lease', LEASE.namespace)[0]!.spec as { leaseTransitions: number }).leaseTransitions).toBe(1)
    // The new leader found a's Event: the persisting problem is neither written again nor counted up.
    await b.idle()
    expect(events()).toHaveLength(1)
    expect(events()[0]).toMatchObject({ count: 1, reportingInstance: 'a' })
    expect(b.counters.eventsWritten).toBe(0)
  })

  it('a leader that shuts down releases the Lease and is replaced at once', async () => {
    const d = await c.controller({ identity: 'd', lease: LEASE })
    await eventually(() => expect(d.state().synced).toBe(true))
    expect(d.state().leader).toBe(false)
    await b.stop()
    expect(holder(c)).toBe('')
    await eventually(() => expect(d.state().leader).toBe(true), { what: 'd takes over', timeoutMs: LEASE.leaseDurationMs })
    c.api.apply(route('four'))
    await eventually(async () => expect((await c.edge.request('/', { headers: { host: 'four.example' } })).status).toBe(200))
  })

  it('a Lease write with a stale resourceVersion is refused with 409 Conflict', async () => {
    const kc = c.kubeConfig()
    const path = `/apis/coordination.k8s.io/v1/namespaces/${LEASE.namespace}/leases/${LEASE.name}`
    const lease = await kubeRequest<{ metadata: { resourceVersion: string }; spec: Record<string, unknown> }>(kc, { path })
    await eventually(
      async () => {
        const now = await kubeRequest<{ metadata: { resourceVersion: string } }>(kc, { path })
        expect(now.metadata.resourceVersion).not.toBe(lease.metadata.resourceVersion)
      },
      { what: 'a renewal' },
    )
    const err = await kubeRequest(kc, { method: 'PUT', path, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder' } } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KubeApiError)
    expect((err as KubeApiError).statusCode).toBe(409)
    expect(holder(c)).toBe('d')
  })
})
