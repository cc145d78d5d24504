/**
 * The controller's per-change work at N IngressRoutes, stage by stage, in one process (no API
 * server, no KV): `node scripts/run.mjs node --expose-gc bench/propagation/stages.ts [--routes 10000] [--changes 20]`.
 * Builds the snapshot once, then for each change adds one IngressRoute and rebuilds: validation
 * and compile (remembered per object, as the controller does), edge table + split, pack.
 */
import { compile, IngressRouteCache } from '../../control-plane/compiler/index.ts'
import type { KubeObject } from '../../control-plane/compiler/snapshot/kube-types.ts'
import { ValidationCache } from '../../control-plane/controller/kube/validation-cache.ts'
import { packTable } from '../../shared/kv/pack-table.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { ingressRoute, serviceObjects } from '../../test/support/apiserver/objects.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'

const { values } = benchArgs({
  name: 'bench/propagation/stages.ts',
  usage: ['node scripts/run.mjs node --expose-gc bench/propagation/stages.ts [flags]'],
  about:
    "The controller's per-change work at N IngressRoutes, stage by stage, in one process (no API server, no KV): validation and compile, edge table and split, pack.",
  flags: {
    routes: { type: 'string', value: 'N', convert: count, default: '10000', help: 'IngressRoutes in the cluster' },
    changes: { type: 'string', value: 'N', convert: count, default: '20', help: 'changes measured (one IngressRoute added each)' },
  },
})
const ROUTES = values.routes
const CHANGES = values.changes
const route = (name: string) => ingressRoute({ name, namespace: 'bench', match: `Host(\`${name}.bench.example\`)`, service: 'whoami' }) as KubeObject
const objects: KubeObject[] = [...(serviceObjects({ name: 'whoami', namespace: 'bench', addresses: ['127.0.0.1'], port: 8080 }) as KubeObject[])]
for (let i = 0; i < ROUTES; i++) objects.push(route(`r${i}`))
const validation = new ValidationCache()
const cache = new IngressRouteCache()
const toEdge = edgeTableStage({ entryPoint: 'web' })
const rows: number[][] = []
for (let i = 0; i <= CHANGES; i++) {
  if (i > 0) objects.push(route(`change${i}`))
  const t0 = performance.now()
  const validated = validation.validate({ objects })
  const t1 = performance.now()
  const { config } = compile(validated.snapshot, { validate: false, cache })
  const t2 = performance.now()
  const built = toEdge(config)
  const t3 = performance.now()
  await packTable(built.table as never)
  const t4 = performance.now()
  if (i > 0) rows.push([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0])
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const col = (j: number) => median(rows.map((r) => r[j]!)).toFixed(1)
console.log(
  `${ROUTES} IngressRoutes, ${CHANGES} changes, median ms: validate ${col(0)}, compile ${col(1)}, edge table ${col(2)}, pack ${col(3)}, total ${col(4)}`,
)
;(globalThis as { gc?: () => void }).gc?.()
console.log(`heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`)
