/**
 * The edge isolate's heap for the proxy benchmark's table, measured in Node (V8, as workerd):
 * the table built and packed as `npm run bench:proxy` publishes it, loaded by the edge's real
 * KV table source (edge-worker/src/table-source, over an in-memory KV, pointer check skipped)
 * with the real prepare step, then the benchmark's 1,000 hosts routed once each, as the
 * bench's warm-up does.
 *
 *   node scripts/run.mjs node --expose-gc bench/proxy/heap.ts [--routers 100000]
 *
 * @module
 */
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { packTable } from '../../shared/kv/pack-table.ts'
import { prepareTable } from '../../shared/table/prepare.ts'
import { TABLE_SCHEMA_VERSION } from '../../shared/table/schema.ts'
import type { RoutingView } from '../../shared/table/view.ts'
import { KvTableSource } from '../../edge-worker/src/table-source/kv-table-source.ts'
import { BLOB_PREFIX, POINTER_KEY, bucketOf, type TableManifest } from '../../shared/kv/layout.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { benchHost, proxyConfig } from './generate.ts'

const { values } = benchArgs({
  name: 'bench/proxy/heap.ts',
  usage: ['node scripts/run.mjs node --expose-gc bench/proxy/heap.ts [flags]'],
  about:
    "The edge isolate's heap for the proxy benchmark's table (built, packed and loaded by the edge's real KV table source, in Node), and how long the first requests wait on it.",
  flags: { routers: { type: 'string', value: 'N', convert: count, default: '100000', help: 'routers in the table' } },
})
const N = values.routers
const HOSTS = 1000
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')
/** V8's heap, and the array buffers outside it (deflated blobs): both count in an isolate's memory. */
const memory = (): { heap: number; buffers: number } => {
  for (let i = 0; i < 3; i++) gc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return { heap: heapUsed / 1e6, buffers: arrayBuffers / 1e6 }
}

// The benchmark's hosts, spread over the table as bench/proxy/run.ts picks them.
const hosts = Array.from({ length: HOSTS }, (_, i) => benchHost(Math.floor((i * N) / HOSTS)))

const store = new Map<string, string>()
let manifest: TableManifest
{
  const { table } = edgeTableStage({ entryPoint: 'web' })(proxyConfig(N, 'http://127.0.0.1:8080', false))
  const packed = await packTable(table as Parameters<typeof packTable>[0])
  for (const [digest, text] of packed.blobs) store.set(BLOB_PREFIX + digest, text)
  manifest = { ...packed.manifest, issuedAt: Date.now() } as TableManifest
  store.set(POINTER_KEY, 'pointer')
}
// A new string per read, as a KV read is: the texts an isolate keeps count in its heap.
const fresh = (text: string | undefined): string | null => (text === undefined ? null : Buffer.from(text).toString())
const kv = {
  get: async (key: string | string[]) => (Array.isArray(key) ? new Map(key.map((k) => [k, fresh(store.get(k))])) : fresh(store.get(key))),
} as unknown as Pick<KVNamespace, 'get'>
let source: KvTableSource<RoutingView> | null = new KvTableSource<RoutingView>({
  kv,
  verify: async () => manifest,
  schema: TABLE_SCHEMA_VERSION,
  prepare: prepareTable,
  refreshIntervalMs: 1e9,
})
const pending: Array<Promise<unknown>> = []
const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p) }

const base = memory()
// How long the table source makes a host's first request wait: the first host of a bucket (KV
// read, verify, parse, prepare), another host of a bucket already read (inflate, parse, prepare).
const firstOfBucket: number[] = []
const nextOfBucket: number[] = []
const read = new Set<number>()
for (const host of hosts) {
  const started = performance.now()
  const view = await source!.forHost(host, ctx)
  const index = bucketOf(host, manifest.routes.buckets.length)
  ;(read.has(index) ? nextOfBucket : firstOfBucket).push(performance.now() - started)
  read.add(index)
  if ('error' in view) throw new Error(view.error)
  const request = { host, method: 'GET', path: '/', headers: new Headers(), query: new URLSearchParams(), clientIp: '192.0.2.1' }
  if (!view.entryPoint('web').match(request, false)) throw new Error(`no router for ${host}`)
}
await Promise.all(pending)
const after = memory()
// What the source holds, measured as what dropping it frees: steadier than after - base, which
// also counts what the first requests left behind (compiled code, V8's caches).
source = null
const dropped = memory()
const buckets = new Set(hosts.map((h) => bucketOf(h, manifest.routes.buckets.length))).size
console.log(`${N.toLocaleString('en')} routers, ${manifest.routes.buckets.length} buckets, ${buckets} of them read for ${HOSTS} hosts`)
console.log(
  `edge heap after routing every host once: ${(after.heap - base.heap).toFixed(1)} MB + ${(after.buffers - base.buffers).toFixed(1)} MB of array buffers;` +
    ` held by the table source (blobs, prepared views, indexes): ${(after.heap - dropped.heap).toFixed(1)} MB + ${(after.buffers - dropped.buffers).toFixed(1)} MB`,
)
const quantile = (xs: number[], q: number): string => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]?.toFixed(2) ?? '-'
for (const [what, xs] of [
  ['first host of a bucket', firstOfBucket],
  ['another host of a bucket already read', nextOfBucket],
] as const) {
  console.log(`table source wait, ${what}: ${xs.length} requests, p50 ${quantile(xs, 0.5)} ms, p99 ${quantile(xs, 0.99)} ms`)
}
