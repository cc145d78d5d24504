/**
 * Proxy benchmark (docs/performance.md, "Proxy"): wrk on loopback against one upstream (nginx,
 * one worker), direct and through each proxy, in one run, medians of 3 interleaved runs: saturated
 * (64 connections: req/s, CPU per request) and at light load (one request at a time: the latency
 * a proxy adds).
 * wrk and the upstream share core 0; the proxy under test runs alone on core 1.
 *
 *   node scripts/run.mjs node bench/proxy/run.ts [--duration 10] [--runs 3] [--quick]
 *     [--light-connections 1] [--light-only]
 *
 * Needs wrk, nginx and haproxy (Debian packages) and taskset.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { freePort } from '../support/free-port.ts'
import { benchHost, proxyConfig } from './generate.ts'
import { createHarness, pin, waitFor, type Setup, type WrkResult } from './harness.ts'
import { numberFlag } from '../support/args.ts'

const args = process.argv.slice(2)
const QUICK = args.includes('--quick')
const DURATION = numberFlag('duration', QUICK ? 3 : 10)
const RUNS = numberFlag('runs', QUICK ? 1 : 3)
const SIZES = QUICK ? [1000] : [10_000, 100_000]
const HOSTS_PER_RUN = 1000
/** Requests in flight in the light-load pass. */
const LIGHT = numberFlag('light-connections', 1)
/** Only the light-load pass (after the warm-up). */
const LIGHT_ONLY = args.includes('--light-only')

const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'))
const edges: LocalEdge[] = []
const { pinned, nginxConf, startUpstream, wrk, sequential, stopChildren } = createHarness(dir, DURATION)

async function edgeWith(routers: number, upstream: string, passHostHeader: boolean): Promise<{ url: string; buildMs: number; pid: number }> {
  const t0 = performance.now()
  const { table, problems } = edgeTableStage({ entryPoint: 'web' })(proxyConfig(routers, upstream, passHostHeader))
  if (problems.length) throw new Error(problems.slice(0, 3).join('\n'))
  const buildMs = performance.now() - t0
  // As the self-hosted edge runs (control-plane/runtime/self-hosted.ts): a look for a newer table
  // every second that no request waits for (npm run edge makes requests wait, for tests).
  const edge = await startLocalEdge({
    store: createMemoryKvStore(),
    stateDir: join(dir, `edge-${routers}-${passHostHeader}`),
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    log: () => {},
    refreshMs: 1000,
    vars: { TABLE_REFRESH_WAIT_MS: '0' },
  })
  edges.push(edge)
  await edge.publish(table)
  pin(edge.pid, 1)
  return { url: edge.url(), buildMs, pid: edge.pid }
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)

async function main(): Promise<void> {
  // This process serves the edges' KV and runs wrk: it stays off the proxies' core.
  pin(process.pid, 0)
  const { url: upstream, port: upPort } = await startUpstream()
  log('upstream up')

  const ngPort = await freePort()
  pinned(1, 'nginx', [
    '-c',
    nginxConf(
      ngPort,
      `upstream up { server 127.0.0.1:${upPort}; keepalive 64; }\n  server { listen 127.0.0.1:${ngPort}; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; } }`,
    ),
    '-g',
    'daemon off;',
  ])
  const haPort = await freePort()
  const haConf = join(dir, 'haproxy.cfg')
  writeFileSync(
    haConf,
    `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  option http-keep-alive\nfrontend f\n  bind 127.0.0.1:${haPort}\n  default_backend b\nbackend b\n  http-reuse always\n  server s1 127.0.0.1:${upPort}\n`,
  )
  pinned(1, 'haproxy', ['-f', haConf, '-db'])

  const worker = async (name: string, file: string): Promise<LocalEdge> => {
    const w = await startLocalEdge({
      store: createMemoryKvStore(),
      stateDir: join(dir, name),
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
      workerEntry: join(REPO_ROOT, 'bench/proxy', file),
      vars: { UPSTREAM: upstream },
      log: () => {},
    })
    edges.push(w)
    pin(w.pid, 1)
    return w
  }
  const pass = await worker('pass', 'passthrough-worker.ts')
  // The pass-through plus Traefik's forwarded headers: what the semantics cost on workerd before any work of the edge's own.
  const floor = await worker('floor', 'forwarding-floor-worker.ts')
  log('pass-through and floor workers up')

  const setups: Setup[] = [
    { name: 'direct (no proxy)', url: upstream, hosts: ['localhost'] },
    { name: 'nginx proxy_pass, keepalive', url: `http://127.0.0.1:${ngPort}`, hosts: ['localhost'] },
    { name: 'haproxy', url: `http://127.0.0.1:${haPort}`, hosts: ['localhost'] },
    { name: 'workerd pass-through worker (fetch)', url: pass.url(), hosts: ['localhost'], pid: pass.pid },
    { name: 'workerd forwarding floor (pass-through + forwarded headers)', url: floor.url(), hosts: ['localhost'], pid: floor.pid },
  ]
  const builds: string[] = []
  for (const n of SIZES) {
    const hosts = Array.from({ length: HOSTS_PER_RUN }, (_, i) => benchHost(Math.floor((i * n) / HOSTS_PER_RUN)))
    for (const [label, passHost] of [
      ['server Host: fetch', false],
      ['client Host: pooled socket', true],
    ] as const) {
      const e = await edgeWith(n, upstream, passHost)
      log(`edge ${n} ${label} up`)
      builds.push(`${n} routers (${label}): table built in ${Math.round(e.buildMs)} ms`)
      setups.push({ name: `edge, ${n.toLocaleString('en')} routers, ${label}`, url: e.url, hosts, pid: e.pid })
    }
  }
  for (const s of setups) for (const h of s.hosts.slice(0, 50)) await waitFor(s.url, h)
  log('all answer; warming up')

  // Warm-up: every isolate loads its table buckets and JITs before anything is measured.
  // Only the setup being measured runs on core 1: idle workerd processes still collect garbage
  // and run timers, which would land in another setup's latencies.
  const alone = (s: Setup) => {
    for (const other of setups) if (other.pid && other !== s) pin(other.pid, 0)
    if (s.pid) pin(s.pid, 1)
  }
  for (const s of setups) {
    alone(s)
    await wrk({ ...s, name: `${s.name} (warm-up)` })
  }
  const results = new Map<string, WrkResult[]>()
  for (let run = 0; run < (LIGHT_ONLY ? 0 : RUNS); run++) {
    for (const s of setups) {
      alone(s)
      const r = await wrk(s)
      results.set(s.name, [...(results.get(s.name) ?? []), r])
      process.stderr.write(
        `run ${run + 1}/${RUNS} ${s.name}: ${Math.round(r.rps)} req/s${Number.isNaN(r.cpu) ? '' : `, ${Math.round(r.cpu)} µs CPU per request`}\n`,
      )
    }
  }
  // Latency at equal, light load (LIGHT requests in flight; 1 by default, from this process's own
  // client rather than wrk, whose latencies at one connection do not add up on workerd): what the edge adds to a request when
  // nothing queues; at saturation p99 is mostly queueing, which follows req/s.
  const light = new Map<string, WrkResult[]>()
  for (let run = 0; run < RUNS; run++) {
    for (const s of setups) {
      alone(s)
      const r = LIGHT === 1 ? await sequential(s) : await wrk(s, LIGHT)
      light.set(s.name, [...(light.get(s.name) ?? []), r])
      process.stderr.write(`light run ${run + 1}/${RUNS} ${s.name}: p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms\n`)
    }
  }
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  if (!LIGHT_ONLY) {
    const passRps = median(results.get(setups[3]!.name)!.map((r) => r.rps))
    console.log(`wrk -t2 -c64 -d${DURATION}s --latency, ${RUNS} interleaved run(s), medians; upstream nginx (1 worker) + wrk on core 0, proxy on core 1\n`)
    const passCpu = median(results.get(setups[3]!.name)!.map((r) => r.cpu))
    // CPU time the proxy's process really used per request: unlike req/s, it holds when other
    // processes share the proxy's core (1e6 / req/s equals it only on an otherwise idle core).
    console.log('| setup | req/s | p50 ms | p99 ms | CPU µs per request (measured) | vs pass-through (req/s) | CPU µs above pass-through |')
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    for (const s of setups) {
      const rs = results.get(s.name)!
      const rps = median(rs.map((r) => r.rps))
      const cpu = s.pid ? median(rs.map((r) => r.cpu)) : NaN
      const edge = s.pid !== undefined && s !== setups[3]
      const ratio = edge ? `${(rps / passRps).toFixed(2)}x` : ''
      const above = edge ? String(Math.round(cpu - passCpu)) : ''
      console.log(
        `| ${s.name} | ${Math.round(rps).toLocaleString('en')} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${Number.isNaN(cpu) ? '' : Math.round(cpu)} | ${ratio} | ${above} |`,
      )
    }
  }
  const passLight = light.get(setups[3]!.name)!
  console.log(
    `\nLight load: ${LIGHT === 1 ? `one request at a time over one kept-alive connection (Node http client) for ${DURATION} s` : `wrk -t1 -c${LIGHT} -d${DURATION}s --latency`}, ${RUNS} interleaved run(s), medians\n`,
  )
  console.log('| setup | req/s | p50 ms | p99 ms | p99 above pass-through, ms |')
  console.log('|---|---:|---:|---:|---:|')
  for (const s of setups) {
    const rs = light.get(s.name)!
    const p99 = median(rs.map((r) => r.p99))
    const above = s.pid !== undefined && s !== setups[3] ? (p99 - median(passLight.map((r) => r.p99))).toFixed(2) : ''
    console.log(
      `| ${s.name} | ${Math.round(median(rs.map((r) => r.rps))).toLocaleString('en')} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${p99.toFixed(2)} | ${above} |`,
    )
  }
  console.log(`\n${builds.join('\n')}`)
}

async function cleanup(): Promise<void> {
  await Promise.all(edges.map((e) => e.stop().catch(() => {})))
  await stopChildren()
  rmSync(dir, { recursive: true, force: true })
}

try {
  await main()
} finally {
  await cleanup()
}
