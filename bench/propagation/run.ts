/**
 * Propagation benchmark: `npm run bench:propagation [-- flags]`, one row per run:
 *
 *   --routes N           IngressRoutes in the cluster (default 10000), one host each
 *   --changes N          sequential changes measured (default 50)
 *   --realistic          objects as kubectl and Helm leave them (managedFields, labels,
 *                        annotations, last-applied-configuration: bench/support/realistic-objects.ts)
 *   --problems           every IngressRoute names the entry point websecure too, which the edge does not
 *                        serve: the table warns on every router, and the controller locates each
 *                        warning on its object (its Event)
 *   --burst N            instead: N changes spread over --burst-seconds (default 10), the pointer
 *                        written at most once a second (as Workers KV allows); reports whether every
 *                        change was served and the shortest time between two pointer writes
 *   --debounce-ms N      the controller's (default: its own)
 *   --edge-refresh-ms N  how often the edge looks for a new pointer (default 250)
 *
 * A cluster of N IngressRoutes in the test API server (test/support/apiserver), `npm run
 * controller` as its own process (client-node informers, the incremental pipeline, sign, publish
 * through the Workers KV REST sink to a local fake of Cloudflare's API), and the edge on workerd
 * reading that same namespace. The first table is timed from the controller's start until the
 * edge serves the last host. Each change adds an IngressRoute for a new host through the API
 * server; its latency runs from the API server's answer until the edge first serves the new host
 * (polled every 5 ms). Reports p50/p99/max, the controller's RSS (current and peak, /proc) and
 * its per-change work from its log lines. The controller gets the V8 flags `npm run controller`
 * passes (package.json); CONTROLLER_NODE_OPTIONS replaces them (docs/performance.md gives the
 * ones for each cluster size). It starts with Node's compile cache made by an earlier start, as
 * the image ships it (deploy/Dockerfile); --no-compile-cache measures a start without one.
 */

import { execFileSync, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createCloudflareKvStore } from '../../control-plane/controller/cloudflare/kv-store.ts'
import { REPO_ROOT, startLocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { POINTER_KEY } from '../../shared/kv/layout.ts'
import { startApiServer } from '../../test/support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../../test/support/apiserver/objects.ts'
import { startFakeCloudflareKv } from '../../test/support/fake-cloudflare-kv.ts'
import { send } from '../../test/support/http.ts'
import { startUpstream } from '../../test/support/upstream.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { realisticObject } from '../support/realistic-objects.ts'

const { values } = benchArgs({
  name: 'bench:propagation',
  usage: ['npm run bench:propagation -- [flags]'],
  about:
    "A cluster of N IngressRoutes in the test API server, npm run controller as its own process publishing to a local fake of Workers KV, and the edge on workerd reading it: how long from a change accepted by the API server until the edge serves it (p50/p99/max), and the controller's RSS.",
  flags: {
    routes: { type: 'string', value: 'N', convert: count, default: '10000', help: 'IngressRoutes in the cluster' },
    changes: { type: 'string', value: 'N', convert: count, default: '50', help: 'changes measured, one after the other (an IngressRoute for a new host each)' },
    realistic: { type: 'boolean', help: 'objects as kubectl and Helm leave them (managedFields, labels, annotations)' },
    problems: {
      type: 'boolean',
      help: 'every IngressRoute also names the entry point websecure, which the edge does not serve: a table warning on every router',
    },
    burst: {
      type: 'string',
      value: 'N',
      convert: count,
      default: '0',
      help: 'instead of sequential changes, N changes spread over --burst-seconds (all served, pointer at most once a second)',
    },
    'burst-seconds': { type: 'string', value: 'S', convert: count, default: '10', help: "the burst's length" },
    'debounce-ms': { type: 'string', value: 'MS', help: "the controller's --debounce-ms (default: its own)" },
    'edge-refresh-ms': { type: 'string', value: 'MS', convert: count, default: '250', help: 'how often the edge polls KV for a new pointer' },
    'no-compile-cache': {
      type: 'boolean',
      help: "the controller without Node's compile cache (as `npm run controller` starts it the first time), not with the warm one deploy/Dockerfile ships",
    },
  },
  environment: { CONTROLLER_NODE_OPTIONS: "the controller's V8 flags instead of those npm run controller passes" },
})
const ROUTES = values.routes
const CHANGES = values.changes
const BURST = values.burst
const BURST_SECONDS = values['burst-seconds']
const REFRESH_MS = values['edge-refresh-ms']
const POLL_MS = 5
const TIMEOUT_MS = 120_000
/** The first table at 100k on a starved machine can take minutes: measured, not given up on. */
const FIRST_TIMEOUT_MS = 900_000

const dir = await mkdtemp(join(tmpdir(), 'bench-propagation-'))
const api = await startApiServer({ tls: true })
const kv = await startFakeCloudflareKv()
const upstream = await startUpstream({ name: 'whoami' })
const kvStore = createCloudflareKvStore({ accountId: kv.accountId, namespaceId: kv.namespaceId, apiToken: kv.token, baseUrl: kv.baseUrl })
const edge = await startLocalEdge({
  store: kvStore,
  stateDir: join(dir, 'state'),
  refreshMs: REFRESH_MS,
  entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
})
const route = (name: string, host: string) => {
  const plain = ingressRoute({ name, namespace: 'bench', match: `Host(\`${host}\`)`, service: 'whoami' })
  const o = values.problems ? { ...plain, spec: { ...(plain.spec as object), entryPoints: ['web', 'websecure'] } } : plain
  return values.realistic ? realisticObject(o) : o
}

api.apply(
  ...serviceObjects({ name: 'whoami', namespace: 'bench', addresses: ['127.0.0.1'], port: upstream.port }).map((o) =>
    values.realistic ? realisticObject(o) : o,
  ),
)
for (let i = 0; i < ROUTES; i++) api.apply(route(`r${i}`, `r${i}.bench.example`))
const kubeconfig = join(dir, 'kubeconfig')
await writeFile(kubeconfig, api.kubeconfig())
const listedBytes = values.realistic
  ? JSON.stringify(route('r0', 'r0.bench.example')).length
  : JSON.stringify(ingressRoute({ name: 'r0', namespace: 'bench', match: 'Host(`r0.bench.example`)', service: 'whoami' })).length

// The controller's default V8 flags are the ones `npm run controller` passes (package.json), so the
// benchmark measures what a user runs; CONTROLLER_NODE_OPTIONS replaces them.
const scripts = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
const defaultFlags = scripts
  .controller!.split(' ')
  .filter((w) => w.startsWith('--max-'))
  .join(' ')
const controllerFlags = process.env.CONTROLLER_NODE_OPTIONS ?? defaultFlags
const pointerIntervalMs = BURST > 0 ? 1000 : 0
// The controller as its image starts it (deploy/Dockerfile): with Node's compile cache made by an
// earlier start, so Node does not load its TypeScript stripper (about 5 MB of the 10k peak RSS).
const controllerFile = join(REPO_ROOT, 'control-plane/cli/controller.ts')
const { NODE_COMPILE_CACHE: _, ...environment } = process.env
const controllerEnv = values['no-compile-cache'] ? environment : { ...environment, NODE_COMPILE_CACHE: join(dir, 'compile-cache') }
if (!values['no-compile-cache']) execFileSync(process.execPath, [controllerFile, '--help'], { env: controllerEnv, stdio: 'ignore' })
const started = performance.now()
const controller = spawn(
  process.execPath,
  [
    ...controllerFlags.split(' ').filter(Boolean),
    controllerFile,
    '--kubeconfig',
    kubeconfig,
    '--sink',
    'cloudflare',
    '--target',
    'workerd',
    '--pointer-interval-ms',
    String(pointerIntervalMs),
    '--signing-key',
    join(dir, 'state', 'signing-key.jwk.json'),
    '--no-leader-election',
    '--ops-port',
    '0',
    ...(values['debounce-ms'] ? ['--debounce-ms', values['debounce-ms']] : []),
  ],
  {
    env: {
      ...controllerEnv,
      CLOUDFLARE_ACCOUNT_ID: kv.accountId,
      CLOUDFLARE_KV_NAMESPACE_ID: kv.namespaceId,
      CLOUDFLARE_API_TOKEN: kv.token,
      CLOUDFLARE_API_BASE_URL: kv.baseUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
)
const logs: string[] = []
/** When the controller reported each publish (its stderr line's arrival), and the line. */
const published: Array<{ at: number; line: string }> = []
createInterface(controller.stderr!).on('line', (l) => {
  logs.push(l)
  if (/ published \(/.test(l)) published.push({ at: performance.now(), line: l })
})
let opsUrl = ''
await new Promise<void>((resolve, reject) => {
  createInterface(controller.stdout!).on('line', (l) => {
    if (!l.startsWith('ready ')) return
    opsUrl = l.slice('ready '.length).trim()
    resolve()
  })
  controller.once('exit', (code) => reject(new Error(`controller exited ${code}:\n${logs.join('\n')}`)))
})
const peakSoFar = async () => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${controller.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024
/** The controller's CPU time (user + system, all threads) so far: what another process's load does not change. */
const cpuSoFar = async () => {
  const f = (await readFile(`/proc/${controller.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const served = async (host: string) => (await send(edge.url(), { headers: { host } })).status === 200
async function until(host: string, from = performance.now(), timeoutMs = TIMEOUT_MS): Promise<number> {
  while (!(await served(host))) {
    if (performance.now() - from > timeoutMs) throw new Error(`${host} not served after ${timeoutMs} ms:\n${logs.slice(-5).join('\n')}`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  return performance.now() - from
}

const firstMs = await until(`r${ROUTES - 1}.bench.example`, started, FIRST_TIMEOUT_MS)
const firstPeakMB = await peakSoFar()
const firstCpu = await cpuSoFar()
const latencies: number[] = []
/** API server answer -> the controller's publish done. */
const controlPlane: number[] = []
let burst: { served: number; lastMs: number; pointerWrites: number; minGapMs: number } | null = null
if (BURST > 0) {
  const pointerWritesBefore = kv.writes.filter((w) => w.keys.includes(POINTER_KEY)).length
  const at = performance.now()
  const hosts: string[] = []
  for (let i = 0; i < BURST; i++) {
    const due = at + (i * BURST_SECONDS * 1000) / BURST
    if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()))
    const host = `burst${i}.bench.example`
    api.apply(route(`burst${i}`, host))
    hosts.push(host)
  }
  // Every change served (in any order): the last host polled until served, then each one checked.
  await until(hosts.at(-1)!, at)
  let servedCount = 0
  for (const h of hosts) if (await served(h)) servedCount++
  const lastMs = performance.now() - at
  const writes = kv.writes
    .filter((w) => w.keys.includes(POINTER_KEY))
    .slice(pointerWritesBefore)
    .map((w) => w.at)
  const gaps = writes.slice(1).map((t, i) => t - writes[i]!)
  burst = { served: servedCount, lastMs, pointerWrites: writes.length, minGapMs: gaps.length ? Math.min(...gaps) : NaN }
} else {
  for (let i = 0; i < CHANGES; i++) {
    const host = `change${i}.bench.example`
    const at = performance.now()
    api.apply(route(`change${i}`, host))
    latencies.push(await until(host))
    const p = published.find((x) => x.at > at)
    if (p !== undefined) controlPlane.push(p.at - at)
  }
}
const status = await readFile(`/proc/${controller.pid}/status`, 'utf8')
const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN)
const rssMB = kb('VmRSS') / 1024
const peakMB = kb('VmHWM') / 1024
const cpuSeconds = await cpuSoFar()

// Where the RSS goes: V8's heap (used, and kept) from the controller's own /metrics.
const metrics = await (await fetch(new URL('/metrics', opsUrl))).text()
const metricMB = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN) / 2 ** 20
const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN)
const heap = {
  used: metricMB('nodejs_heap_size_used_bytes'),
  total: metricMB('nodejs_heap_size_total_bytes'),
  external: metricMB('nodejs_external_memory_bytes'),
}

controller.kill('SIGTERM')
// Bounded: a controller once hung inside process.exit (a V8 compile waiting for a GC at platform
// shutdown, nodejs/node#54918); the kubelet would kill it after its grace period, so does this.
const killer = setTimeout(() => controller.kill('SIGKILL'), 10_000)
await new Promise((r) => controller.once('exit', r))
clearTimeout(killer)
await edge.stop()
await kv.close()
await upstream.close()
await api.close()
await rm(dir, { recursive: true, force: true })

latencies.sort((a, b) => a - b)
controlPlane.sort((a, b) => a - b)
const pctOf = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!
const f = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '-')
// The controller's own account of each change: stage times from its `published (...)` lines.
const spread = (xs: number[]) => (xs.length ? `${Math.min(...xs)}-${Math.max(...xs)}` : '-')
const incremental = published.filter((p) => !p.line.includes('from every object'))
const perChange = (stage: string) => spread(incremental.map((p) => Number(new RegExp(`${stage} (\\d+) ms`).exec(p.line)?.[1] ?? NaN)).filter(Number.isFinite))

const objects = `${values.realistic ? 'realistic ' : ''}objects${values.problems ? ' with a table warning each' : ''} (${(listedBytes / 1024).toFixed(1)} KB per IngressRoute as listed)`
console.log(
  `IngressRoutes: ${ROUTES}, ${objects}; ${BURST ? `burst of ${BURST} changes in ${BURST_SECONDS} s, pointer at most every ${pointerIntervalMs} ms` : `${CHANGES} sequential changes, pointer not coalesced (the fake KV has no per-key limit)`}; edge refresh ${REFRESH_MS} ms; debounce ${values['debounce-ms'] ?? "the controller's default"}; controller flags: ${controllerFlags || '(none)'}, ${values['no-compile-cache'] ? 'no compile cache' : 'compile cache warm (as deploy/Dockerfile ships it)'}`,
)
console.log(
  `first table served ${f(firstMs)} ms after the controller started (controller CPU by then ${firstCpu.toFixed(1)} s; peak RSS by then ${firstPeakMB.toFixed(0)} MB)`,
)
if (burst) {
  console.log(`| routes | burst | served | last served after | pointer writes | shortest gap between pointer writes | controller RSS MB | peak RSS MB |`)
  console.log(
    `| ${ROUTES} | ${BURST} in ${BURST_SECONDS} s | ${burst.served}/${BURST} | ${f(burst.lastMs)} ms | ${burst.pointerWrites} | ${f(burst.minGapMs)} ms | ${rssMB.toFixed(0)} | ${peakMB.toFixed(0)} |`,
  )
} else {
  console.log(`| routes | changes | p50 ms | p99 ms | max ms | controller RSS MB | peak RSS MB |`)
  console.log(
    `| ${ROUTES} | ${CHANGES} | ${f(pctOf(latencies, 50))} | ${f(pctOf(latencies, 99))} | ${f(latencies.at(-1)!)} | ${rssMB.toFixed(0)} | ${peakMB.toFixed(0)} |`,
  )
  console.log(
    `of which API server -> published by the controller: p50 ${f(pctOf(controlPlane, 50))} ms, p99 ${f(pctOf(controlPlane, 99))} ms (the rest: the edge noticing and loading the table)`,
  )
}
console.log(
  `per change, the controller's wall ms: compile ${perChange('compile')}, table ${perChange('table')}, pack ${perChange('pack')}, publish ${perChange('publish')}; blobs written ${spread(incremental.map((p) => Number(/(\d+) blobs written/.exec(p.line)?.[1] ?? NaN)).filter(Number.isFinite))}`,
)
console.log(
  `controller CPU time over the whole run: ${cpuSeconds.toFixed(1)} s (${(cpuSeconds - firstCpu).toFixed(1)} s after the first table); heap at the end: ${heap.used.toFixed(0)} MB used of ${heap.total.toFixed(0)} MB V8 heap, ${heap.external.toFixed(0)} MB external; incremental fallbacks: ${metric('traefik_edge_incremental_fallbacks_total')}`,
)
console.log(`load average during the run: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')} on ${availableParallelism()} cores`)
const p99Target = ROUTES >= 100_000 ? 1000 : values.realistic ? 1000 : 300
const rssTarget = ROUTES >= 100_000 ? 1024 : values.realistic ? 300 : 250
const checks = burst
  ? [`every change served: ${burst.served === BURST ? 'met' : 'NOT met'}`, `pointer at most once a second: ${!(burst.minGapMs < 1000) ? 'met' : 'NOT met'}`]
  : [`p99 <= ${p99Target} ms: ${pctOf(latencies, 99) <= p99Target ? 'met' : 'NOT met'}`]
checks.push(`peak RSS <= ${rssTarget} MB: ${peakMB <= rssTarget ? 'met' : 'NOT met'}`)
if (ROUTES >= 100_000) checks.push(`first table <= 60 s: ${firstMs <= 60_000 ? 'met' : 'NOT met'}`)
console.log(`targets (issue 20${values.realistic ? ', 16' : ''}): ${checks.join('; ')}`)
