/**
 * Propagation benchmark: `npm run bench:propagation [-- --routes 10000 --changes 50]`.
 *
 * A cluster of N IngressRoutes in the test API server (test/support/apiserver), `npm run
 * controller` as its own process (client-node informers, compile, sign, publish through the
 * Workers KV REST sink to a local fake of Cloudflare's API), and the edge on workerd reading that
 * same namespace. Each change adds an IngressRoute for a new host through the API server; its
 * latency runs from the API server's answer until the edge first serves the new host (polled every
 * 5 ms). Changes are sequential. Reports p50/p99/max and the controller's RSS (current and peak).
 * The fake KV has no per-key write limit, so pointer writes are not coalesced
 * (--pointer-interval-ms 0); on Workers KV, writes are 1/s per key and reads may lag up to 60 s.
 */

import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { createCloudflareKvStore } from '../../control-plane/controller/cloudflare/kv-store.ts'
import { REPO_ROOT, startLocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { startApiServer } from '../../test/support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../../test/support/apiserver/objects.ts'
import { startFakeCloudflareKv } from '../../test/support/fake-cloudflare-kv.ts'
import { send } from '../../test/support/http.ts'
import { startUpstream } from '../../test/support/upstream.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'

const { values } = benchArgs({
  name: 'bench:propagation',
  usage: ['npm run bench:propagation -- [flags]'],
  about:
    "A cluster of N IngressRoutes in the test API server, npm run controller as its own process publishing to a local fake of Workers KV, and the edge on workerd reading it: how long from a change accepted by the API server until the edge serves it (p50/p99/max), and the controller's RSS.",
  flags: {
    routes: { type: 'string', value: 'N', convert: count, default: '10000', help: 'IngressRoutes in the cluster' },
    changes: { type: 'string', value: 'N', convert: count, default: '50', help: 'changes measured, one after the other (an IngressRoute for a new host each)' },
    'debounce-ms': { type: 'string', value: 'MS', default: '50', help: "the controller's --debounce-ms" },
  },
  environment: { CONTROLLER_NODE_OPTIONS: "the controller's V8 flags instead of those npm run controller passes" },
})
const ROUTES = values.routes
const CHANGES = values.changes
const DEBOUNCE = values['debounce-ms']
const POLL_MS = 5
const TIMEOUT_MS = 60_000

const dir = await mkdtemp(join(tmpdir(), 'bench-propagation-'))
const api = await startApiServer({ tls: true })
const kv = await startFakeCloudflareKv()
const upstream = await startUpstream({ name: 'whoami' })
const kvStore = createCloudflareKvStore({ accountId: kv.accountId, namespaceId: kv.namespaceId, apiToken: kv.token, baseUrl: kv.baseUrl })
const edge = await startLocalEdge({ store: kvStore, stateDir: join(dir, 'state'), entryPoints: [{ name: 'web', address: '127.0.0.1:0' }] })
const route = (name: string, host: string) => ingressRoute({ name, namespace: 'bench', match: `Host(\`${host}\`)`, service: 'whoami' })

api.apply(...serviceObjects({ name: 'whoami', namespace: 'bench', addresses: ['127.0.0.1'], port: upstream.port }))
for (let i = 0; i < ROUTES; i++) api.apply(route(`r${i}`, `r${i}.bench.example`))
const kubeconfig = join(dir, 'kubeconfig')
await writeFile(kubeconfig, api.kubeconfig())

// The controller's default V8 flags are the ones `npm run controller` passes (package.json), so the
// benchmark measures what a user runs; CONTROLLER_NODE_OPTIONS replaces them.
const scripts = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
const defaultFlags = scripts
  .controller!.split(' ')
  .filter((w) => w.startsWith('--max-'))
  .join(' ')
const controllerFlags = process.env.CONTROLLER_NODE_OPTIONS ?? defaultFlags
const controller = spawn(
  process.execPath,
  [
    ...controllerFlags.split(' ').filter(Boolean),
    join(REPO_ROOT, 'control-plane/cli/controller.ts'),
    '--kubeconfig',
    kubeconfig,
    '--sink',
    'cloudflare',
    '--target',
    'workerd',
    '--pointer-interval-ms',
    '0',
    '--signing-key',
    join(dir, 'state', 'signing-key.jwk.json'),
    '--no-leader-election',
    '--ops-port',
    '0',
    '--debounce-ms',
    DEBOUNCE,
  ],
  {
    env: {
      ...process.env,
      CLOUDFLARE_ACCOUNT_ID: kv.accountId,
      CLOUDFLARE_KV_NAMESPACE_ID: kv.namespaceId,
      CLOUDFLARE_API_TOKEN: kv.token,
      CLOUDFLARE_API_BASE_URL: kv.baseUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
)
const logs: string[] = []
/** When the controller reported each publish (its stderr line's arrival). */
const publishedAt: number[] = []
createInterface(controller.stderr!).on('line', (l) => {
  logs.push(l)
  if (/ published \(/.test(l)) publishedAt.push(performance.now())
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

const served = async (host: string) => (await send(edge.url(), { headers: { host } })).status === 200
async function until(host: string): Promise<number> {
  const start = performance.now()
  while (!(await served(host))) {
    if (performance.now() - start > TIMEOUT_MS) throw new Error(`${host} not served after ${TIMEOUT_MS} ms:\n${logs.slice(-5).join('\n')}`)
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  return performance.now() - start
}

const firstMs = await until(`r${ROUTES - 1}.bench.example`)
const latencies: number[] = []
/** API server answer -> the controller's publish done. */
const controlPlane: number[] = []
for (let i = 0; i < CHANGES; i++) {
  const host = `change${i}.bench.example`
  const at = performance.now()
  api.apply(route(`change${i}`, host))
  latencies.push(await until(host))
  const published = publishedAt.find((t) => t > at)
  if (published !== undefined) controlPlane.push(published - at)
}
const status = await readFile(`/proc/${controller.pid}/status`, 'utf8')
const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN)
const rssMB = kb('VmRSS') / 1024
const peakMB = kb('VmHWM') / 1024

// Where the RSS goes: V8's heap (used, and kept) from the controller's own /metrics.
const metrics = await (await fetch(new URL('/metrics', opsUrl))).text()
const metricMB = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN) / 2 ** 20
const heap = {
  used: metricMB('nodejs_heap_size_used_bytes'),
  total: metricMB('nodejs_heap_size_total_bytes'),
  external: metricMB('nodejs_external_memory_bytes'),
}

controller.kill('SIGTERM')
await new Promise((r) => controller.once('exit', r))
await edge.stop()
await kv.close()
await upstream.close()
await api.close()
await rm(dir, { recursive: true, force: true })

latencies.sort((a, b) => a - b)
controlPlane.sort((a, b) => a - b)
const pctOf = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!
const pct = (p: number) => pctOf(latencies, p)
const f = (ms: number) => ms.toFixed(0)
console.log(`IngressRoutes: ${ROUTES}; changes: ${CHANGES}; debounce ${DEBOUNCE} ms; edge refresh 250 ms; controller flags: ${controllerFlags || '(none)'}`)
console.log(`first table served after controller start: ${f(firstMs)} ms`)
console.log(`| routes | changes | p50 ms | p99 ms | max ms | controller RSS MB | peak RSS MB |`)
console.log(`| ${ROUTES} | ${CHANGES} | ${f(pct(50))} | ${f(pct(99))} | ${f(latencies.at(-1)!)} | ${rssMB.toFixed(0)} | ${peakMB.toFixed(0)} |`)
console.log(`controller heap at the end: ${heap.used.toFixed(0)} MB used of ${heap.total.toFixed(0)} MB V8 heap, ${heap.external.toFixed(0)} MB external`)
console.log(
  `of which API server -> published by the controller: p50 ${f(pctOf(controlPlane, 50))} ms, p99 ${f(pctOf(controlPlane, 99))} ms (the rest: the edge noticing and loading the table)`,
)
console.log(
  `load average during the run: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')} on ${(await import('node:os')).availableParallelism()} cores`,
)
console.log(
  logs
    .filter((l) => l.includes('published'))
    .slice(-3)
    .join('\n'),
)
console.log(`targets: p99 <= 1000 ms: ${pct(99) <= 1000 ? 'met' : 'NOT met'}; RSS <= 300 MB: ${peakMB <= 300 ? 'met' : 'NOT met'}`)
