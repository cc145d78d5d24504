/**
 * The edge isolate's heap for the proxy benchmark's table, measured in Node (V8, as workerd):
 * the table built and packed as `npm run bench:proxy` publishes it, then the blobs an isolate
 * serving the benchmark's 1,000 hosts reads (rest, endpoints, the hosts' buckets) parsed and
 * prepared as the KV table source does, and those hosts routed once each.
 *
 *   node scripts/run.mjs node --expose-gc bench/proxy/heap.ts [--routers 100000]
 *
 * @module
 */
import { edgeTableStage } from '../../control-plane/runtime/edge-table.ts'
import { packTable } from '../../control-plane/publish/pack-table.ts'
import { prepareTable } from '../../shared/table/prepare.ts'
import { bucketOf } from '../../edge-worker/src/table-source/layout.ts'
import type { RoutingView } from '../../shared/table/view.ts'
import { benchHost, proxyConfig } from './generate.ts'

const args = process.argv.slice(2)
const at = args.indexOf('--routers')
const N = at >= 0 ? Number(args[at + 1]) : 100_000
const HOSTS = 1000
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')
const heapMb = (): number => {
  for (let i = 0; i < 3; i++) gc()
  return process.memoryUsage().heapUsed / 1e6
}

// The benchmark's hosts, spread over the table as bench/proxy/run.ts picks them.
const hosts = Array.from({ length: HOSTS }, (_, i) => benchHost(Math.floor((i * N) / HOSTS)))

async function blobTexts(): Promise<{ rest: string; endpoints: string; buckets: Map<number, string>; count: number }> {
  const { table } = edgeTableStage({ entryPoint: 'web' })(proxyConfig(N, 'http://127.0.0.1:8080', false))
  const { manifest, blobs } = await packTable(table as Parameters<typeof packTable>[0])
  const count = manifest.routes.buckets.length
  const buckets = new Map<number, string>()
  for (const h of hosts) {
    const i = bucketOf(h, count)
    const digest = manifest.routes.buckets[i]
    if (digest) buckets.set(i, blobs.get(digest)!)
  }
  return { rest: blobs.get(manifest.routes.rest)!, endpoints: blobs.get(manifest.endpoints.version)!, buckets, count }
}

const texts = await blobTexts()
const base = heapMb()
const rest = JSON.parse(texts.rest) as unknown
const endpoints = JSON.parse(texts.endpoints) as unknown
const afterEndpoints = heapMb()
const parsed = new Map<number, Record<string, unknown>>()
for (const [i, text] of texts.buckets) parsed.set(i, (JSON.parse(text) as { hosts: Record<string, unknown> }).hosts)
const afterParse = heapMb()
const views = new Map<number, RoutingView>()
for (const [i, bucket] of parsed) views.set(i, prepareTable([rest, ...Object.values(bucket)], endpoints))
const afterPrepare = heapMb()
for (const host of hosts) {
  const request = { host, method: 'GET', path: '/', headers: new Headers(), query: new URLSearchParams(), clientIp: '192.0.2.1' }
  if (!views.get(bucketOf(host, texts.count))!.entryPoint('web').match(request, false)) throw new Error(`no router for ${host}`)
}
const afterRoute = heapMb()

const mb = (x: number): string => `${x.toFixed(1)} MB`
console.log(`${N.toLocaleString('en')} routers, ${texts.count} buckets, ${parsed.size} of them read for ${HOSTS} hosts`)
console.log(`endpoints + rest parsed:   ${mb(afterEndpoints - base)}`)
console.log(`host buckets parsed:       ${mb(afterParse - afterEndpoints)}`)
console.log(`prepared views:            ${mb(afterPrepare - afterParse)}`)
console.log(`router indexes (routed):   ${mb(afterRoute - afterPrepare)}`)
console.log(`total:                     ${mb(afterRoute - base)}`)
