/**
 * A CPU profile of the edge worker under the proxy benchmark's load: where its time per request
 * goes inside workerd (V8 sampling profiler over the inspector), by function and by file.
 *
 *   node scripts/run.mjs node bench/proxy/profile.ts [--routers 10000] [--pass-host] [--seconds 10]
 *     [--out FILE.cpuprofile] [--passthrough | --entry WORKER.ts] [--log]
 *
 * `--passthrough` profiles the bare pass-through worker (run.ts's floor) instead, to compare.
 *
 * The same setup as run.ts's edge rows: nginx upstream and wrk on core 0, workerd on core 1,
 * 1,000 rotating hosts, warm-up first. Sampling itself costs time: compare shares, not req/s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/runtime/edge-table.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { freePort } from '../support/free-port.ts'
import { benchHost, proxyConfig } from './generate.ts'
import { createHarness, pin, waitFor } from './harness.ts'

const args = process.argv.slice(2)
const option = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? undefined : args[i + 1]
}
const ROUTERS = Number(option('routers') ?? 10_000)
const SECONDS = Number(option('seconds') ?? 10)
const PASS_HOST = args.includes('--pass-host')
const OUT = option('out')
const PASSTHROUGH = args.includes('--passthrough')
/** Another worker entry in place of the edge's (experiments); it gets the table and UPSTREAM. */
const ENTRY = option('entry')
/** workerd's own output (with WORKERD_V8_FLAGS such as --trace-deopt) to stderr. */
const LOG = args.includes('--log')

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'))
const { pinned, nginxConf, wrk, stopChildren } = createHarness(dir, SECONDS)
let edge: LocalEdge | undefined

interface InspectorSocket {
  onopen: (e: unknown) => void
  onerror: (e: unknown) => void
  onmessage: (e: { data: unknown }) => void
  send(data: string): void
}

/** One CDP session over the inspector's WebSocket. */
async function inspect(address: string): Promise<(method: string, params?: object) => Promise<unknown>> {
  const targets = (await (await fetch(`http://${address}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string; title?: string }>
  if (targets.length === 0) throw new Error('the inspector lists no target')
  // Node's global WebSocket (the DOM typings are not in this project's lib).
  const ws = new (globalThis as unknown as { WebSocket: new (url: string) => InspectorSocket }).WebSocket(targets[0]!.webSocketDebuggerUrl)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = reject
  })
  let next = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  ws.onmessage = (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } }
    const p = msg.id === undefined ? undefined : pending.get(msg.id)
    if (!p) return
    pending.delete(msg.id!)
    if (msg.error) p.reject(new Error(msg.error.message))
    else p.resolve(msg.result)
  }
  return (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve, reject })
      ws.send(JSON.stringify({ id, method, params }))
    })
}

/** Self time per key (function or file): share of all samples, and µs per request. */
function summarize(profile: CpuProfile, key: (n: ProfileNode) => string, top: number, requests: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const k = key(byId.get(profile.samples[i]!)!)
    self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}% ${(us / requests).toFixed(1).padStart(6)} µs  ${k}`)
}

/** Total time (self + callees) per function name. */
function inclusive(profile: CpuProfile, top: number, requests: number): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const total = new Map<string, number>()
  let all = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0
    all += dt
    const seen = new Set<string>()
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id)!)
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + dt)
    }
  }
  return [...total.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => `${((100 * us) / all).toFixed(1).padStart(5)}% ${(us / requests).toFixed(1).padStart(6)} µs  ${k}`)
}

function label(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame
  return `${functionName || '(anonymous)'} ${url ? `${url.split('/').slice(-2).join('/')}:${lineNumber + 1}` : ''}`.trim()
}

async function main(): Promise<void> {
  const upPort = await freePort()
  pinned(0, 'nginx', ['-c', nginxConf(upPort, `server { listen 127.0.0.1:${upPort}; location / { return 200 'ok'; } }`), '-g', 'daemon off;'])
  const upstream = `http://127.0.0.1:${upPort}`
  await waitFor(upstream)
  const inspectorAddress = `127.0.0.1:${await freePort()}`
  process.env.WORKERD_INSPECTOR_ADDR = inspectorAddress
  edge = await startLocalEdge({
    store: createMemoryKvStore(),
    stateDir: join(dir, 'edge'),
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    log: LOG ? (line) => process.stderr.write(`${line}\n`) : () => {},
    ...(PASSTHROUGH
      ? { workerEntry: join(REPO_ROOT, 'bench/proxy/passthrough-worker.ts'), vars: { UPSTREAM: upstream } }
      : { refreshMs: 1000, vars: { TABLE_REFRESH_WAIT_MS: '0', UPSTREAM: upstream }, ...(ENTRY ? { workerEntry: ENTRY } : {}) }),
  })
  if (!PASSTHROUGH) {
    const { table, problems } = edgeTableStage({ entryPoint: 'web' })(proxyConfig(ROUTERS, upstream, PASS_HOST))
    if (problems.length) throw new Error(problems.slice(0, 3).join('\n'))
    await edge.publish(table)
  }
  pin(edge.pid, 1)
  const hosts = PASSTHROUGH ? ['localhost'] : Array.from({ length: 1000 }, (_, i) => benchHost(Math.floor((i * ROUTERS) / 1000)))
  for (const h of hosts.slice(0, 20)) await waitFor(edge.url(), h)
  const setup = { name: 'edge', url: edge.url(), hosts, pid: edge.pid }
  const warm = await wrk(setup)
  process.stderr.write(`warm-up: ${Math.round(warm.rps)} req/s, ${Math.round(warm.cpu)} µs CPU per request\n`)

  const send = await inspect(inspectorAddress)
  await send('Profiler.enable')
  await send('Profiler.setSamplingInterval', { interval: 50 })
  await send('Profiler.start')
  const measured = await wrk(setup)
  const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile }
  const requests = measured.rps * SECONDS
  const what = PASSTHROUGH ? 'pass-through worker' : `${ROUTERS} routers, passHostHeader ${PASS_HOST}`
  console.log(`${what}: ${Math.round(measured.rps)} req/s while sampling, ${Math.round(measured.cpu)} µs CPU per request (process)\n`)
  if (OUT) writeFileSync(OUT, JSON.stringify(profile))
  console.log('self time by function:')
  for (const line of summarize(profile, label, 45, requests)) console.log(line)
  console.log('\nself time by file:')
  for (const line of summarize(profile, (n) => n.callFrame.url.split('/').slice(-3).join('/') || n.callFrame.functionName, 20, requests)) console.log(line)
  console.log('\ntotal time by function:')
  for (const line of inclusive(profile, 45, requests)) console.log(line)
}

try {
  await main()
} finally {
  await edge?.stop().catch(() => {})
  await stopChildren()
  rmSync(dir, { recursive: true, force: true })
}
