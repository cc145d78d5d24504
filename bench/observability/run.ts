/**
 * Observability cost (docs/observability.md, "Cost"): the request path's hooks when nothing is on
 * (a micro-benchmark of what they add per request), then wrk on loopback against the local edge
 * with observability off, access logs on, Prometheus metrics on, and tracing on (spans posted to
 * a loopback collector), medians of interleaved runs. wrk, nginx (upstream and collector) on core
 * 0; each edge alone on core 1, one at a time.
 *
 *   npm run bench:observability -- [--duration 5] [--runs 3]
 *
 * Needs wrk, nginx and taskset.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { observe, observedUpstream } from '../../edge-worker/src/observability/observation.ts'
import type { EdgeRequest } from '../../edge-worker/src/request.ts'
import type { PreparedRouter } from '../../shared/table/view.ts'
import { benchArgs, wrkRunFlags } from '../support/args.ts'
import { freePort } from '../support/free-port.ts'

const { values } = benchArgs({
  name: 'bench:observability',
  usage: ['npm run bench:observability -- [flags]'],
  about:
    "The request path's observability hooks when off (a micro-benchmark), then wrk against the local edge with nothing on, access logs, metrics and tracing on. Needs wrk, nginx and taskset.",
  flags: {
    ...wrkRunFlags('5', '3'),
  },
})
const DURATION = values.duration
const RUNS = values.runs
const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'bench-obs-'))
const children: ChildProcess[] = []

/** ns per call of the hooks as they run when nothing is on: observe() and the upstream wrapper. */
async function hooksWhenOff(): Promise<{ observe: number; upstream: number }> {
  const env = {}
  const req = { headers: new Headers() } as EdgeRequest
  const router = {} as PreparedRouter
  const N = 2_000_000
  let t = performance.now()
  let sink = 0
  for (let i = 0; i < N; i++) if (observe(env, req, router) === null) sink++
  const observeNs = ((performance.now() - t) * 1e6) / N
  const res = new Response(null)
  const direct = async () => res
  const wrapped = observedUpstream('svc', 'http://x', direct)
  const M = 500_000
  t = performance.now()
  for (let i = 0; i < M; i++) await direct()
  const directNs = ((performance.now() - t) * 1e6) / M
  t = performance.now()
  for (let i = 0; i < M; i++) await wrapped(req)
  const wrappedNs = ((performance.now() - t) * 1e6) / M
  if (sink !== N) throw new Error('observe() was not null')
  return { observe: observeNs, upstream: Math.max(0, wrappedNs - directNs) }
}

async function wrk(url: string): Promise<{ rps: number; p50: number; p99: number }> {
  const { stdout } = await run('taskset', ['-c', '0', 'wrk', '-t1', '-c32', `-d${DURATION}s`, '--latency', '-H', 'Host: obs.test', `${url}/`], {
    encoding: 'utf8',
  })
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
  if (non2xx > 0) throw new Error(`${non2xx} non-2xx responses\n${stdout}`)
  const lat = (pct: string) => {
    const m = new RegExp(`${pct}\\s+([\\d.]+)(us|ms|s)`).exec(stdout)!
    return m[2] === 'us' ? Number(m[1]) / 1000 : m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1])
  }
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)![1]), p50: lat('50%'), p99: lat('99%') }
}

async function main(): Promise<void> {
  const hooks = await hooksWhenOff()
  const upPort = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx.err warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir};\n  server { listen 127.0.0.1:${upPort}; location / { return 200 'ok'; } location /v1/traces { return 200 '{}'; } }\n}\n`,
  )
  const nginx = spawn('taskset', ['-c', '0', 'nginx', '-c', conf, '-g', 'daemon off;'], { stdio: 'ignore' })
  children.push(nginx)
  await new Promise((r) => setTimeout(r, 300))
  const upstream = `http://127.0.0.1:${upPort}`
  const { table } = edgeTableStage({ entryPoint: 'web' })({
    http: {
      routers: { obs: { rule: 'Host(`obs.test`)', service: 'app' } },
      services: { app: { loadBalancer: { servers: [{ url: upstream }], passHostHeader: false } } },
    },
  })
  const setups: Array<{ name: string; vars: Record<string, string>; metrics?: boolean }> = [
    { name: 'nothing on', vars: {} },
    { name: 'access log (JSON line per request)', vars: { ACCESS_LOG: 'true' } },
    { name: 'Prometheus metrics', vars: {}, metrics: true },
    { name: 'tracing (OTLP export per request)', vars: { TRACING_OTLP_ENDPOINT: `${upstream}/v1/traces` } },
  ]
  const results = new Map<string, Array<Awaited<ReturnType<typeof wrk>>>>()
  for (let r = 0; r <= RUNS; r++) {
    for (const s of setups) {
      const edge: LocalEdge = await startLocalEdge({
        store: createMemoryKvStore(),
        stateDir: join(dir, 'edge'),
        entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
        vars: s.vars,
        ...(s.metrics ? { metricsAddress: '127.0.0.1:0' } : {}),
        log: () => {},
        refreshMs: 60_000,
      })
      try {
        await edge.publish(table)
        await run('taskset', ['-a', '-p', '-c', '1', String(edge.pid)])
        await wrk(edge.url()) // warm-up (JIT, table load); run 0 is not counted
        const res = await wrk(edge.url())
        if (r > 0) results.set(s.name, [...(results.get(s.name) ?? []), res])
        process.stderr.write(`run ${r}/${RUNS} ${s.name}: ${Math.round(res.rps)} req/s\n`)
      } finally {
        await edge.stop()
      }
    }
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  console.log(
    `hooks when nothing is on (node ${process.version}): observe() ${hooks.observe.toFixed(1)} ns, server wrapper ${hooks.upstream.toFixed(1)} ns per request\n`,
  )
  console.log(`wrk -t1 -c32 -d${DURATION}s, ${RUNS} interleaved run(s), medians; upstream nginx + wrk on core 0, edge on core 1\n`)
  console.log('| edge with | req/s | p50 ms | p99 ms | µs of core 1 per request |')
  console.log('|---|---:|---:|---:|---:|')
  for (const s of setups) {
    const rs = results.get(s.name)!
    const rps = median(rs.map((x) => x.rps))
    console.log(
      `| ${s.name} | ${Math.round(rps).toLocaleString('en')} | ${median(rs.map((x) => x.p50)).toFixed(2)} | ${median(rs.map((x) => x.p99)).toFixed(2)} | ${Math.round(1e6 / rps)} |`,
    )
  }
}

try {
  await main()
} finally {
  for (const c of children) c.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
}
