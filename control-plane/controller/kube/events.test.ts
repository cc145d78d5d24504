// The Event lifecycle against the test API server, whose Events expire (--event-ttl): a persisting
// problem's Event is refreshed before it expires (same Event, count up), written anew when it is
// gone anyway (404), a Normal Event follows the last problem's fix, and a 403 stops the sync and
// is retried later.
import { KubeConfig } from '@kubernetes/client-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApiServer, type Obj, type TestApiServer } from '../../../test/support/apiserver/index.ts'
import { ingressRoute } from '../../../test/support/apiserver/objects.ts'
import type { Diagnostic } from '../../compiler/index.ts'
import { EventRecorder, REASON_ERROR, REASON_RESOLVED } from './events.ts'
import { ForbiddenCalls } from './forbidden.ts'

const TTL = 600

describe('EventRecorder', () => {
  let api: TestApiServer
  let route: Obj
  let now = Date.parse('2030-01-01T00:00:00Z')
  const kc = new KubeConfig()
  const logs: string[] = []
  const counts = new Map<string, number>()
  let recorder: EventRecorder
  const problem: Diagnostic = {
    kind: 'IngressRoute',
    namespace: 'demo',
    name: 'r',
    field: 'spec.routes[0].match',
    message: 'router demo-r: unknown matcher PathPrefx: not served',
    severity: 'error',
  }
  const events = () => api.objects('Event', 'demo', 'v1').filter((e) => (e.involvedObject as { name: string }).name === 'r')

  beforeAll(async () => {
    api = await startApiServer({ eventTtlMs: TTL })
    route = api.apply(ingressRoute({ name: 'r', match: 'PathPrefx(`/`)', service: 's' }))[0]!
    kc.loadFromString(api.kubeconfig())
    recorder = new EventRecorder({
      kc,
      identity: 'test',
      log: (l) => logs.push(l),
      find: (kind, ns, name) => (kind === 'IngressRoute' && ns === 'demo' && name === 'r' ? (route as never) : undefined),
      now: () => now,
      refreshMs: 60_000,
      forbidden: new ForbiddenCalls(counts, (l) => logs.push(l)),
    })
  })
  afterAll(async () => {
    await api?.close()
  })

  it('writes a problem once, refreshes it before the TTL, writes it anew after it expired, and says when it is fixed', async () => {
    expect(await recorder.sync([problem])).toBe(1)
    const [first] = events()
    expect(first).toMatchObject({
      type: 'Warning',
      reason: REASON_ERROR,
      count: 1,
      involvedObject: { fieldPath: 'spec.routes[0].match', uid: route.metadata?.uid },
    })
    // A rebuild while nothing is due writes nothing.
    now += 1000
    expect(await recorder.sync([problem])).toBe(0)
    // Due for a refresh: the same Event, counted up, its expiry pushed back.
    now += 60_000
    expect(await recorder.sync([problem])).toBe(1)
    expect(events()).toMatchObject([
      { metadata: { name: first!.metadata?.name }, count: 2, lastTimestamp: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z') },
    ])
    // Expired by the API server meanwhile: the refresh finds it gone (404) and writes it anew.
    await new Promise((r) => setTimeout(r, TTL + 50))
    api.expireEvents()
    expect(events()).toEqual([])
    now += 60_000
    expect(await recorder.sync([problem])).toBe(1)
    const again = events()
    expect(again).toHaveLength(1)
    expect(again[0]!.metadata?.name).not.toBe(first!.metadata?.name)
    expect(again[0]).toMatchObject({ type: 'Warning', count: 1 })
    // Fixed: one Normal Event, once.
    expect(await recorder.sync([])).toBe(1)
    expect(await recorder.sync([])).toBe(0)
    expect(events().filter((e) => e.type === 'Normal')).toMatchObject([{ reason: REASON_RESOLVED }])
    expect(logs).toEqual([])
  })

  it('stops at a 403 (logged once by ForbiddenCalls) and writes the Event once allowed', async () => {
    const other: Diagnostic = { ...problem, message: 'another problem' }
    api.faults.fail({ status: 403, times: 2, match: /^POST \/api\/v1\/namespaces\/demo\/events/ })
    expect(await recorder.sync([other])).toBe(0)
    expect(await recorder.sync([other])).toBe(0)
    expect(logs.filter((l) => /permission denied \(HTTP 403\) to create events/.test(l))).toHaveLength(1)
    expect(counts.get('create events')).toBe(2)
    expect(await recorder.sync([other])).toBe(1)
    expect(logs.filter((l) => /permission to create events granted again/.test(l))).toHaveLength(1)
  })
})
