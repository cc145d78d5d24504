/**
 * The controller's pipeline at N IngressRoutes in one process (no API server, no KV):
 * `node scripts/run.mjs node [--expose-gc] bench/propagation/stages.ts [--routes 10000] [--changes 20] [--realistic] [--problems] [--api]`.
 * Builds the first table from every object, then adds one IngressRoute per change and applies
 * it incrementally (control-plane/pipeline/incremental): CPU time of the first build and of each
 * change (this process's user+system time, so another process's load does not count), blobs
 * written per change, and the live heap after a GC. `--problems`: every IngressRoute names the
 * entry point websecure too, which the edge does not serve, so the table warns on every router (the controller locates each problem on
 * its object, for its Event). `--api`: one more routes to api@internal, so every build writes the
 * document of the whole build (as the controller does: dashboard/edge-document.ts).
 */
import { cpuUsage, memoryUsage } from 'node:process'
import type { KubeObject } from '../../control-plane/compiler/snapshot/kube-types.ts'
import { slimObject } from '../../control-plane/controller/kube/slim-object.ts'
import { SNAPSHOT_KINDS } from '../../control-plane/controller/kube/watched-kinds.ts'
import { internalDocuments } from '../../control-plane/dashboard/edge-document.ts'
import { IncrementalPipeline } from '../../control-plane/pipeline/incremental/incremental-pipeline.ts'
import { ingressRoute, serviceObjects } from '../../test/support/apiserver/objects.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { realisticObject } from '../support/realistic-objects.ts'

const { values } = benchArgs({
  name: 'bench/propagation/stages.ts',
  usage: ['node scripts/run.mjs node --expose-gc bench/propagation/stages.ts [flags]'],
  about:
    "The controller's pipeline at N IngressRoutes in one process (no API server, no KV): the first table from every object, then one IngressRoute added per change and applied incrementally; CPU per change, blobs written, live heap.",
  flags: {
    routes: { type: 'string', value: 'N', convert: count, default: '10000', help: 'IngressRoutes in the cluster' },
    changes: { type: 'string', value: 'N', convert: count, default: '20', help: 'changes measured (one IngressRoute added each)' },
    realistic: { type: 'boolean', help: 'objects as kubectl and Helm leave them, slimmed as the informer keeps them' },
    problems: { type: 'boolean', help: 'every IngressRoute also names the entry point websecure: a located table warning on every router' },
    api: { type: 'boolean', help: 'one more IngressRoute routes to api@internal, so every build writes the document of the whole build' },
  },
})
const ROUTES = values.routes
const CHANGES = values.changes
const route = (name: string) => {
  const plain = ingressRoute({ name, namespace: 'bench', match: `Host(\`${name}.bench.example\`)`, service: 'whoami' })
  const o = (values.problems ? { ...plain, spec: { ...(plain.spec as object), entryPoints: ['web', 'websecure'] } } : plain) as KubeObject
  // As the informer keeps it: what kubectl and Helm add, then slimmed on arrival.
  return slimObject((values.realistic ? realisticObject(o as never) : o) as never) as KubeObject
}
const objects = new Map<string, KubeObject>()
for (const o of serviceObjects({ name: 'whoami', namespace: 'bench', addresses: ['127.0.0.1'], port: 8080 }))
  objects.set(`${o.kind}/${o.metadata?.name}`, o as KubeObject)
for (let i = 0; i < ROUTES; i++) objects.set(`r${i}`, route(`r${i}`))
if (values.api) {
  const api = ingressRoute({ name: 'traefik-api', namespace: 'bench', match: 'Host(`traefik.bench.example`)', service: 'api@internal' })
  ;(api.spec as { routes: Array<{ services: unknown[] }> }).routes[0]!.services = [{ name: 'api@internal', kind: 'TraefikService' }]
  objects.set('api', api as KubeObject)
}
const pipeline = new IncrementalPipeline({
  provider: {},
  target: 'workerd',
  entryPoints: ['web'],
  documents: internalDocuments(),
  objects: () => objects.values(),
  kindOrder: SNAPSHOT_KINDS,
})
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = cpuUsage(since)
  return (u.user + u.system) / 1000
}
const gc = (globalThis as { gc?: () => void }).gc
let t = cpuUsage()
let wall = performance.now()
let first: { packed: { blobs: Map<string, string>; manifest: { routes: { buckets: unknown[] } } }; located: unknown[] } | null = await pipeline.build([])
const what = [
  values.realistic ? 'realistic objects, slimmed' : '',
  values.problems ? `${first.located.length} located problems` : '',
  values.api ? 'api@internal' : '',
]
console.log(
  `${ROUTES} IngressRoutes${what.some(Boolean) ? ` (${what.filter(Boolean).join('; ')})` : ''}: first build ${cpuMs(t).toFixed(0)} ms CPU (${(performance.now() - wall).toFixed(0)} ms wall), ${first!.packed.blobs.size} blobs, ${first!.packed.manifest.routes.buckets.length} buckets`,
)
console.log(`first build by stage, wall ms: ${JSON.stringify(pipeline.lastTimings, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`)
// What the publisher holds until it has written them: not the pipeline's to keep.
first = null
const rows: Array<[number, number]> = []
for (let i = 1; i <= CHANGES; i++) {
  const o = route(`change${i}`)
  objects.set(`change${i}`, o)
  t = cpuUsage()
  wall = performance.now()
  const built = await pipeline.build([{ object: o }])
  rows.push([cpuMs(t), built.packed.blobs.size])
  void wall
}
const sorted = rows.map(([ms]) => ms).sort((a, b) => a - b)
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
console.log(
  `per change (one IngressRoute added), CPU ms: median ${pct(50).toFixed(1)}, p99 ${pct(99).toFixed(1)}, max ${sorted.at(-1)!.toFixed(1)}; blobs written per change: ${[...new Set(rows.map(([, b]) => b))].join('/')}`,
)
gc?.()
const m = memoryUsage()
console.log(
  `heap used ${(m.heapUsed / 2 ** 20).toFixed(0)} MB${gc ? ' (after a GC)' : ''}, RSS ${(m.rss / 2 ** 20).toFixed(0)} MB; fallbacks ${pipeline.fallbacks}`,
)
if (process.env.HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.HEAP_SNAPSHOT)
