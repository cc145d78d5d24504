/**
 * Version beacon benchmark: `npm run bench:beacon [-- --lag-ms 60000 --changes 20 --kv-changes 3]`.
 *
 * The edge on workerd with the production refresh settings (TABLE_REFRESH_MS 5000, requests never
 * wait for a refresh, TABLE_BEACON_MS 2000), reading a KV store that shows an overwritten pointer
 * `--lag-ms` late, as Workers KV does at a location that cached it (documented "60 seconds or
 * more"); new blob keys are readable at once (they were never cached, not even as misses).
 * Each change publishes a table routing a.example to another upstream; its latency runs from the
 * publish resolving until a client polling every 20 ms is first answered by the new upstream.
 * Two runs: with the beacon (the publisher PUTs each pointer to the worker), and KV polling only.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { count } from '../../control-plane/cli/command.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { httpBeacon } from '../../control-plane/publish/beacon.ts'
import { TablePublisher } from '../../control-plane/publish/publisher.ts'
import { buildEdgeInput } from '../../test/support/edge.ts'
import { send } from '../../test/support/http.ts'
import { ingressRouteYaml, serviceYaml } from '../../test/support/manifests.ts'
import { staleKv } from '../../test/support/stale-kv.ts'
import { startUpstream, type Upstream } from '../../test/support/upstream.ts'
import { startLocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { benchArgs } from '../support/args.ts'

const { values } = benchArgs({
  name: 'bench:beacon',
  usage: ['npm run bench:beacon -- [flags]'],
  about:
    'Publish to served on the edge with the production refresh settings, reading a KV store that shows an overwritten pointer late, as Workers KV does: with the version beacon, and with KV polling only.',
  flags: {
    'lag-ms': {
      type: 'string',
      value: 'MS',
      convert: count,
      default: '60000',
      help: "how late the KV store shows an overwritten pointer (Workers KV's documented 60 s or more)",
    },
    changes: { type: 'string', value: 'N', convert: count, default: '20', help: 'changes measured with the beacon' },
    'kv-changes': { type: 'string', value: 'N', convert: count, default: '3', help: 'changes measured with KV polling only (each takes about --lag-ms)' },
  },
})
const LAG_MS = values['lag-ms']
const CHANGES = values.changes
const KV_CHANGES = values['kv-changes']
const POLL_MS = 20
const TOKEN = 'bench-beacon-token'

const ups: Upstream[] = []
for (const host of ['127.0.0.2', '127.0.0.3']) ups.push(await startUpstream({ host, name: host }))
const table = (i: number) =>
  buildEdgeInput({
    yaml:
      serviceYaml({ name: 'svc', addresses: [ups[i % 2]!.host], port: ups[i % 2]!.port }) +
      '---\n' +
      ingressRouteYaml({ name: 'r', match: 'Host(`a.example`)', service: 'svc' }),
  }).table

async function run(beacon: boolean, changes: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-beacon-'))
  const kv = staleKv(createMemoryKvStore(), { lagMs: LAG_MS })
  const edge = await startLocalEdge({
    store: kv,
    stateDir: dir,
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    vars: { TABLE_REFRESH_MS: '5000', TABLE_REFRESH_WAIT_MS: '0', ...(beacon ? { TABLE_BEACON_TOKEN: TOKEN, TABLE_BEACON_MS: '2000' } : {}) },
  })
  const publisher = await TablePublisher.open({
    store: kv,
    signer: edge.signer,
    pointerMinIntervalMs: 0,
    ...(beacon ? { beacon: httpBeacon({ url: edge.url(), token: TOKEN }) } : {}),
  })
  const servedBy = async () => {
    const res = await send(edge.url() + '/', { headers: { host: 'a.example' } })
    return res.status === 200 ? (JSON.parse(res.body) as { server: string }).server : ''
  }
  const waitFor = async (server: string, deadline: number) => {
    while ((await servedBy()) !== server) {
      if (Date.now() > deadline) throw new Error(`not served by ${server} in time`)
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }
  const latencies: number[] = []
  try {
    // The first table: past the lag everywhere before measuring.
    await publisher.publish(table(0))
    await waitFor(ups[0]!.host, Date.now() + LAG_MS + 30_000)
    for (let i = 1; i <= changes; i++) {
      // Changes land at any moment of the edge's check cycle, not right after a check.
      await new Promise((r) => setTimeout(r, Math.random() * 2500))
      const result = await publisher.publish(table(i))
      if (beacon && result.beacon && 'error' in result.beacon) throw new Error(result.beacon.error)
      const t0 = performance.now()
      await waitFor(ups[i % 2]!.host, Date.now() + LAG_MS + 30_000)
      latencies.push(performance.now() - t0)
    }
  } finally {
    await edge.stop()
    await rm(dir, { recursive: true, force: true })
  }
  return latencies
}

function summary(name: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!.toFixed(0)
  return `${name.padEnd(22)} n=${String(s.length).padEnd(3)} p50 ${q(50).padStart(6)} ms  p99 ${q(99).padStart(6)} ms  max ${s.at(-1)!.toFixed(0).padStart(6)} ms`
}

console.log(`KV pointer lag ${LAG_MS} ms; TABLE_REFRESH_MS 5000, TABLE_BEACON_MS 2000; client polls every ${POLL_MS} ms`)
console.log(summary('beacon', await run(true, CHANGES)))
console.log(summary('KV polling only', await run(false, KV_CHANGES)))
for (const u of ups) await u.close()
