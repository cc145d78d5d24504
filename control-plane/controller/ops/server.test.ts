import { exportJWK, generateKeyPair } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { BLOB_PREFIX } from '../../../shared/kv/layout.ts'
import { newCounters } from '../kube/counters.ts'
import { createMemoryKvStore } from '../../kv/memory-store.ts'
import type { KvStore } from '../../kv/store.ts'
import { TablePublisher } from '../../publish/publisher.ts'
import { signerFromJwk } from '../../publish/signing-key.ts'
import { controllerScrape } from './controller-metrics.ts'
import { instrumentPublish, timeCompile } from './instrument.ts'
import { createOpsMetrics } from './metrics.ts'
import { startOpsServer, type OpsServer } from './server.ts'

const servers: OpsServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
})

async function serve(...args: Parameters<typeof startOpsServer>) {
  const s = await startOpsServer(...args)
  servers.push(s)
  return s
}

/** Value of one sample line (`name{labels} value`) in a Prometheus text exposition. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('ops server', () => {
  it('answers /healthz, /readyz from the predicate, 404 and 405 elsewhere', async () => {
    let state: { ready: boolean; synced: boolean } = { ready: false, synced: false }
    const ops = await serve({ registry: createOpsMetrics().registry, readiness: () => state, port: 0, host: '127.0.0.1' })
    expect(await (await fetch(`${ops.url}/healthz`)).text()).toBe('ok\n')
    const notReady = await fetch(`${ops.url}/readyz`)
    expect(notReady.status).toBe(503)
    expect(await notReady.json()).toEqual({ ready: false, synced: false })
    state = { ready: true, synced: true }
    expect((await fetch(`${ops.url}/readyz`)).status).toBe(200)
    expect((await fetch(`${ops.url}/nope`)).status).toBe(404)
    expect((await fetch(`${ops.url}/healthz`, { method: 'POST' })).status).toBe(405)
  })

  it('answers 503 with the reason when the readiness predicate throws', async () => {
    const ops = await serve({
      registry: createOpsMetrics({ defaultMetrics: false }).registry,
      readiness: async () => {
        throw new Error('store unreachable')
      },
      port: 0,
      host: '127.0.0.1',
    })
    const res = await fetch(`${ops.url}/readyz`)
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ ready: false, error: 'store unreachable' })
  })

  it('reports a busy port as a startup error', async () => {
    const first = await serve({
      registry: createOpsMetrics({ defaultMetrics: false }).registry,
      readiness: () => ({ ready: true }),
      port: 0,
      host: '127.0.0.1',
    })
    await expect(
      startOpsServer({
        registry: createOpsMetrics({ defaultMetrics: false }).registry,
        readiness: () => ({ ready: true }),
        port: first.port,
        host: '127.0.0.1',
      }),
    ).rejects.toThrow(/EADDRINUSE/)
  })

  it('serves push latency, failures, table version and size from real publishes', async () => {
    const metrics = createOpsMetrics()
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
    const signer = await signerFromJwk(await exportJWK(privateKey))
    const inner = createMemoryKvStore()
    let failNext = false
    const store: KvStore = {
      ...inner,
      put: async (entries) => {
        if (failNext) {
          failNext = false
          throw new Error('KV answered 503')
        }
        await inner.put(entries)
      },
    }
    const publisher = await TablePublisher.open({ store, signer, pointerMinIntervalMs: 0 })
    const publish = instrumentPublish(
      metrics,
      (t: Parameters<TablePublisher['publish']>[0]) => publisher.publish(t),
      () => 1_764_000_000_000,
    )
    const table = (n: number) => ({ schema: 1, routes: { rest: { routers: [] }, hosts: { 'a.example': { n } } }, endpoints: { s: [n] } })

    const first = await publish(table(1))
    failNext = true
    await expect(publish(table(2))).rejects.toThrow('KV answered 503')
    timeCompile(metrics, () => 42)

    const ops = await serve({ registry: metrics.registry, readiness: () => ({ ready: true }), port: 0, host: '127.0.0.1' })
    const res = await fetch(`${ops.url}/metrics`)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(sample(text, 'traefik_edge_push_duration_seconds_count')).toBe(2)
    expect(sample(text, 'traefik_edge_table_push_failures_total')).toBe(1)
    expect(sample(text, 'traefik_edge_compile_duration_seconds_count')).toBe(1)
    expect(sample(text, 'traefik_edge_last_push_timestamp_seconds')).toBe(1_764_000_000)
    const v = first.manifest
    expect(sample(text, `traefik_edge_table_info{version="${v.routes.version}",endpoints="${v.endpoints.version}"}`)).toBe(1)
    const stored = [...inner.data].filter(([k]) => k.startsWith(BLOB_PREFIX)).reduce((n, [, t]) => n + Buffer.byteLength(t), 0)
    expect(sample(text, 'traefik_edge_table_size_bytes')).toBe(stored)
    expect(text).toContain('process_resident_memory_bytes')
  })

  it('copies the controller state into the metrics at each scrape', async () => {
    const metrics = createOpsMetrics({ defaultMetrics: false })
    const counters = newCounters()
    let leader = false
    let forbidden: string[] = []
    const counts = new Map([
      ['IngressRoute', 3],
      ['Service', 2],
    ])
    const controller = {
      counters,
      objectCounts: () => counts,
      state: () => ({ synced: true, leader, publishedVersion: null, ready: forbidden.length === 0, pendingWatches: [], forbidden }),
    }
    const ops = await serve({
      registry: metrics.registry,
      readiness: () => ({ ready: true }),
      beforeScrape: controllerScrape(metrics, controller),
      port: 0,
      host: '127.0.0.1',
    })
    const scrape = async () => (await fetch(`${ops.url}/metrics`)).text()

    counters.informerRestarts.set('Secret', 2)
    let text = await scrape()
    expect(sample(text, 'traefik_edge_objects_watched{kind="IngressRoute"}')).toBe(3)
    expect(sample(text, 'traefik_edge_leader')).toBe(0)
    expect(sample(text, 'traefik_edge_informer_restarts_total{watch="Secret"}')).toBe(2)

    leader = true
    counters.informerRestarts.set('Secret', 5)
    counts.delete('Service')
    counters.pushes = 4
    counters.forbidden.set('list secrets', 3)
    forbidden = ['list secrets']
    text = await scrape()
    expect(sample(text, 'traefik_edge_leader')).toBe(1)
    expect(sample(text, 'traefik_edge_informer_restarts_total{watch="Secret"}')).toBe(5)
    expect(sample(text, 'traefik_edge_objects_watched{kind="Service"}')).toBeUndefined()
    expect(sample(text, 'traefik_edge_table_pushes_total')).toBe(4)
    expect(sample(text, 'traefik_edge_kube_forbidden_total{call="list secrets"}')).toBe(3)
    expect(sample(text, 'traefik_edge_kube_forbidden{call="list secrets"}')).toBe(1)
    forbidden = []
    expect(sample(await scrape(), 'traefik_edge_kube_forbidden{call="list secrets"}')).toBeUndefined()
  })
})
