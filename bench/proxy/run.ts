/**
 * Proxy benchmark (docs/performance.md, "Proxy"): wrk on loopback against one upstream (nginx,
 * one worker), direct and through each proxy, in one run, medians of 5 interleaved runs with their
 * spread: saturated (64 connections: req/s, CPU per request) and at light load (one request at a
 * time: the latency a proxy adds); then issue 19's four targets against the forwarding floor, and
 * the bytes each path allocates per request (V8's sampling heap profiler).
 * wrk and the upstream share core 0; the proxy under test runs alone on core 1.
 *
 *   node scripts/run.mjs node bench/proxy/run.ts [--duration 10] [--runs 5] [--quick]
 *     [--light-connections 1] [--light-only] [--no-alloc]
 *
 * Needs wrk, nginx, haproxy, taskset and curl (Debian packages): installed with apt-get when
 * missing and run as root, else named (bench/support/tools.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import type { Built } from '../../control-plane/pipeline/built.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { freePort } from '../support/free-port.ts'
import { benchHost, proxyConfig } from './generate.ts'
import { createHarness, pin, waitFor, warmHosts, type Setup, type WrkResult } from './harness.ts'
import { allocationsDuring, summarizeAllocations } from './inspector.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { ensureTools } from '../support/tools.ts'

const { values } = benchArgs({
  name: 'bench:proxy',
  usage: ['npm run bench:proxy -- [flags]'],
  about:
    "wrk on loopback against one upstream (nginx), direct and through each proxy (the edge's three upstream paths, a bare pass-through worker, the forwarding floor, nginx, haproxy): req/s, p50/p99 and CPU per request, saturated and at light load; issue 19's targets; bytes allocated per request. Needs wrk, nginx, haproxy, taskset and curl (installed with apt-get when missing and run as root).",
  flags: {
    duration: { type: 'string', value: 'S', convert: count, defaultText: '10; 3 with --quick', help: "each wrk run's seconds" },
    runs: { type: 'string', value: 'N', convert: count, defaultText: '5; 1 with --quick', help: 'interleaved runs (medians and spread)' },
    quick: { type: 'boolean', help: 'a quick pass: 1,000 routers, one short run' },
    'light-connections': { type: 'string', value: 'N', convert: count, default: '1', help: 'requests in flight in the light-load pass' },
    'light-only': { type: 'boolean', help: 'only the light-load pass (after the warm-up)' },
    'no-alloc': { type: 'boolean', help: 'skip the bytes allocated per request' },
  },
})
const QUICK = values.quick
const DURATION = values.duration ?? (QUICK ? 3 : 10)
const RUNS = values.runs ?? (QUICK ? 1 : 5)
const SIZES = QUICK ? [1000] : [10_000, 100_000]
const HOSTS_PER_RUN = 1000
const LIGHT = values['light-connections']
const LIGHT_ONLY = values['light-only']
const ALLOC = !values['no-alloc'] && !LIGHT_ONLY

// Before anything starts: a missing tool is installed, or named, not a stack trace half-way.
ensureTools(['wrk', 'nginx', 'haproxy', 'taskset', 'curl'])
const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'))
const edges: LocalEdge[] = []
const { pinned, nginxConf, startUpstream, wrk, sequential, stopChildren } = createHarness(dir, DURATION)

/** The edge's three ways to an upstream (docs/conformance.md, "Data plane"). */
const PATHS = [
  { key: 'fetch', label: 'server Host: fetch', passHostHeader: false, direct: false },
  { key: 'direct', label: 'client Host: direct upstream service', passHostHeader: true, direct: true },
  { key: 'pool', label: 'client Host: UpstreamPool object', passHostHeader: true, direct: false },
] as const
type PathKey = (typeof PATHS)[number]['key']

const tables = new Map<string, Built>()
function tableFor(routers: number, upstream: string, passHostHeader: boolean): Built {
  const key = `${routers}-${passHostHeader}`
  let built = tables.get(key)
  if (!built) {
    built = edgeTableStage({ entryPoint: 'web' })(proxyConfig(routers, upstream, passHostHeader))
    if (built.problems.length) throw new Error(built.problems.slice(0, 3).join('\n'))
    tables.set(key, built)
  }
  return built
}

async function edgeWith(routers: number, upstream: string, path: (typeof PATHS)[number], name: string): Promise<LocalEdge> {
  const built = tableFor(routers, upstream, path.passHostHeader)
  // As the self-hosted edge runs (control-plane/runtime/self-hosted.ts): a look for a newer table
  // every second that no request waits for (npm run edge makes requests wait, for tests).
  const edge = await startLocalEdge({
    store: createMemoryKvStore(),
    stateDir: join(dir, name),
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    log: () => {},
    refreshMs: 1000,
    vars: { TABLE_REFRESH_WAIT_MS: '0' },
    // A static upstream URL gets its fixed-address service (the product's choice); the pool path is what pod addresses take.
    outbound: { ...built, directUpstreams: path.direct ? built.directUpstreams : [] },
  })
  edges.push(edge)
  await edge.publish(built.table)
  return edge
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const spread = (xs: number[], digits = 0) => (xs.length < 2 ? '' : ` (${Math.min(...xs).toFixed(digits)}-${Math.max(...xs).toFixed(digits)})`)

interface EdgeSetup extends Setup {
  routers?: number
  path?: PathKey
}

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

  const PASS = 'workerd pass-through worker (fetch)'
  const FLOOR = 'workerd forwarding floor (pass-through + forwarded headers)'
  const setups: EdgeSetup[] = [
    { name: 'direct (no proxy)', url: upstream, hosts: ['localhost'] },
    { name: 'nginx proxy_pass, keepalive', url: `http://127.0.0.1:${ngPort}`, hosts: ['localhost'] },
    { name: 'haproxy', url: `http://127.0.0.1:${haPort}`, hosts: ['localhost'] },
    { name: PASS, url: pass.url(), hosts: ['localhost'], pid: pass.pid },
    { name: FLOOR, url: floor.url(), hosts: ['localhost'], pid: floor.pid },
  ]
  const builds: string[] = []
  for (const n of SIZES) {
    const hosts = Array.from({ length: HOSTS_PER_RUN }, (_, i) => benchHost(Math.floor((i * n) / HOSTS_PER_RUN)))
    for (const path of PATHS) {
      const t0 = performance.now()
      tableFor(n, upstream, path.passHostHeader)
      const buildMs = performance.now() - t0
      const e = await edgeWith(n, upstream, path, `edge-${n}-${path.key}`)
      pin(e.pid, 1)
      log(`edge ${n} ${path.label} up`)
      if (buildMs > 1) builds.push(`${n} routers (passHostHeader ${path.passHostHeader}): table built in ${Math.round(buildMs)} ms`)
      setups.push({ name: `edge, ${n.toLocaleString('en')} routers, ${path.label}`, url: e.url(), hosts, pid: e.pid, routers: n, path: path.key })
    }
  }
  for (const s of setups) for (const h of s.hosts.slice(0, 50)) await waitFor(s.url, h)
  for (const s of setups) if (s.routers) await warmHosts(s.url, s.hosts)
  log('all answer, every host once; warming up')

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

  /** Per run (interleaved: the same minute of the machine), edge against floor; medians and spread of those. */
  const perRun = (a: WrkResult[], b: WrkResult[], f: (x: WrkResult, y: WrkResult) => number) => a.map((x, i) => f(x, b[i]!))
  if (!LIGHT_ONLY) {
    const floorRuns = results.get(FLOOR)!
    const passRuns = results.get(PASS)!
    console.log(
      `wrk -t2 -c64 -d${DURATION}s --latency, ${RUNS} interleaved run(s), medians (min-max over the runs); upstream nginx (1 worker) + wrk on core 0, proxy on core 1\n`,
    )
    // CPU time the proxy's process really used per request: unlike req/s, it holds when other
    // processes share the proxy's core (1e6 / req/s equals it only on an otherwise idle core).
    console.log(
      '| setup | req/s | p50 ms | p99 ms | CPU µs per request (measured) | vs pass-through (req/s, per run) | vs floor (req/s, per run) | CPU µs above floor (per run) |',
    )
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|')
    for (const s of setups) {
      const rs = results.get(s.name)!
      const worker = s.pid !== undefined
      const vsPass = worker && s.name !== PASS ? perRun(rs, passRuns, (x, y) => x.rps / y.rps) : []
      const vsFloor = worker && s.name !== PASS && s.name !== FLOOR ? perRun(rs, floorRuns, (x, y) => x.rps / y.rps) : []
      const above = vsFloor.length ? perRun(rs, floorRuns, (x, y) => x.cpu - y.cpu) : []
      const rps = rs.map((r) => r.rps)
      const cpu = worker ? rs.map((r) => r.cpu) : []
      console.log(
        `| ${s.name} | ${Math.round(median(rps)).toLocaleString('en')}${spread(rps)} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${cpu.length ? `${Math.round(median(cpu))}${spread(cpu)}` : ''} | ${vsPass.length ? `${median(vsPass).toFixed(2)}x${spread(vsPass, 2)}` : ''} | ${vsFloor.length ? `${median(vsFloor).toFixed(2)}x${spread(vsFloor, 2)}` : ''} | ${above.length ? `${Math.round(median(above))}${spread(above)}` : ''} |`,
      )
    }
  }
  const passLight = light.get(PASS)!
  console.log(
    `\nLight load: ${LIGHT === 1 ? `one request at a time over one kept-alive connection (Node http client) for ${DURATION} s` : `wrk -t1 -c${LIGHT} -d${DURATION}s --latency`}, ${RUNS} interleaved run(s), medians (min-max)\n`,
  )
  console.log('| setup | req/s | p50 ms | p99 ms | p99 above pass-through, ms (per run) |')
  console.log('|---|---:|---:|---:|---:|')
  for (const s of setups) {
    const rs = light.get(s.name)!
    const above = s.pid !== undefined && s.name !== PASS ? perRun(rs, passLight, (x, y) => x.p99 - y.p99) : []
    const p99 = rs.map((r) => r.p99)
    console.log(
      `| ${s.name} | ${Math.round(median(rs.map((r) => r.rps))).toLocaleString('en')} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(p99).toFixed(2)}${spread(p99, 2)} | ${above.length ? `${median(above).toFixed(2)}${spread(above, 2)}` : ''} |`,
    )
  }

  // Issue 19's targets, at the largest table.
  const size = SIZES[SIZES.length - 1]!
  const at = (path: PathKey) => setups.find((s) => s.routers === size && s.path === path)!.name
  if (!LIGHT_ONLY) {
    const floorRuns = results.get(FLOOR)!
    const rows: string[] = []
    const check = (what: string, values: number[], target: string, ok: (v: number) => boolean, unit = '', digits = 2) =>
      rows.push(`| ${what} | ${median(values).toFixed(digits)}${unit}${spread(values, digits)} | ${target} | ${ok(median(values)) ? 'met' : 'not met'} |`)
    const fetchRuns = results.get(at('fetch'))!
    const directRuns = results.get(at('direct'))!
    const poolRuns = results.get(at('pool'))!
    check(
      `fetch path, req/s vs the floor's`,
      perRun(fetchRuns, floorRuns, (x, y) => x.rps / y.rps),
      '>= 0.95x',
      (v) => v >= 0.95,
      'x',
    )
    check(
      'fetch path, CPU µs per request above the floor',
      perRun(fetchRuns, floorRuns, (x, y) => x.cpu - y.cpu),
      '<= 15 µs',
      (v) => v <= 15,
      ' µs',
      0,
    )
    check(
      `passHostHeader (direct upstream service), req/s vs the floor's`,
      perRun(directRuns, floorRuns, (x, y) => x.rps / y.rps),
      '>= 0.8x',
      (v) => v >= 0.8,
      'x',
    )
    check(
      `passHostHeader (UpstreamPool object: pod addresses), req/s vs the floor's`,
      perRun(poolRuns, floorRuns, (x, y) => x.rps / y.rps),
      '>= 0.8x',
      (v) => v >= 0.8,
      'x',
    )
    for (const path of ['fetch', 'direct', 'pool'] as const) {
      check(
        `light-load p99 above the pass-through's, ${path}`,
        perRun(light.get(at(path))!, passLight, (x, y) => x.p99 - y.p99),
        '<= +1 ms',
        (v) => v <= 1,
        ' ms',
      )
    }
    for (const path of ['fetch', 'direct', 'pool'] as const) {
      check(
        `saturated p99 vs the floor's, ${path}`,
        perRun(results.get(at(path))!, floorRuns, (x, y) => x.p99 / y.p99),
        '<= 1.2x',
        (v) => v <= 1.2,
        'x',
      )
    }
    console.log(
      `\nIssue 19's targets, ${size.toLocaleString('en')} routers: medians of the per-run figures (min-max), each run's edge against the same pass's floor\n`,
    )
    console.log('| figure | measured | target | |\n|---|---:|---|---|')
    for (const r of rows) console.log(r)
  }
  console.log(`\n${builds.join('\n')}`)

  if (ALLOC)
    await allocationProfiles(upstream, size, [
      { name: PASS, file: 'passthrough-worker.ts' },
      { name: FLOOR, file: 'forwarding-floor-worker.ts' },
      ...PATHS.map((path) => ({ name: `edge, ${size.toLocaleString('en')} routers, ${path.label}`, path })),
    ])
}

/**
 * Bytes allocated per request, by function, under the same saturated load: each setup once more
 * in a workerd of its own with the inspector open (apart from the timed runs: an inspector may
 * cost). A figure the machine's load does not move.
 */
async function allocationProfiles(
  upstream: string,
  routers: number,
  items: Array<{ name: string; file?: string; path?: (typeof PATHS)[number] }>,
): Promise<void> {
  console.log(
    `\nAllocations per request (V8 sampling heap profiler, every 256 bytes, collected objects included; ${DURATION} s of saturated load each), largest functions\n`,
  )
  const hosts = Array.from({ length: HOSTS_PER_RUN }, (_, i) => benchHost(Math.floor((i * routers) / HOSTS_PER_RUN)))
  for (const item of items) {
    const inspector = `127.0.0.1:${await freePort()}`
    process.env.WORKERD_INSPECTOR_ADDR = inspector
    let edge: LocalEdge
    try {
      edge = item.path
        ? await edgeWith(routers, upstream, item.path, `alloc-${item.path.key}`)
        : await startLocalEdge({
            store: createMemoryKvStore(),
            stateDir: join(dir, `alloc-${item.file}`),
            entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
            workerEntry: join(REPO_ROOT, 'bench/proxy', item.file!),
            vars: { UPSTREAM: upstream },
            log: () => {},
          })
    } finally {
      delete process.env.WORKERD_INSPECTOR_ADDR
    }
    if (!item.path) edges.push(edge)
    pin(edge.pid, 1)
    const setup = { name: item.name, url: edge.url(), hosts: item.path ? hosts : ['localhost'], pid: edge.pid }
    for (const h of setup.hosts.slice(0, 20)) await waitFor(setup.url, h)
    if (item.path) await warmHosts(setup.url, setup.hosts)
    await wrk({ ...setup, name: `${item.name} (alloc warm-up)` })
    let measured: WrkResult | undefined
    const head = await allocationsDuring(inspector, async () => (measured = await wrk(setup)))
    const requests = measured!.rps * DURATION
    const lines = summarizeAllocations(head, 8, requests)
    console.log(`- ${item.name}: ${lines[0]!.trim()}`)
    for (const line of lines.slice(1)) console.log(`  - ${line.trim()}`)
    await edge.stop()
  }
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
