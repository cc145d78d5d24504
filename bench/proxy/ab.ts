/**
 * A/B of worker entries under the proxy benchmark's saturated load: CPU per request and req/s of
 * each, medians of interleaved runs. For trying a change to the hot path against the edge as it
 * is and the pass-through floor, without the whole of run.ts (no nginx/haproxy rows, no light pass).
 *
 *   node scripts/run.mjs node bench/proxy/ab.ts [--routers 10000] [--runs 5] [--duration 5]
 *     [--pass-host] [--entry NAME=WORKER.ts]... [--entry-direct]
 *
 * `--pass-host` adds the passHostHeader paths: `edge passHost: direct` (a fixed-address service
 * for the upstream, what a static URL gets) and `edge passHost: pool` (the UpstreamPool object,
 * what pod addresses take); `--entry` workers then get the passHostHeader table too, over the pool
 * unless `--entry-direct` gives them the direct upstream service.
 * Always measures `pass-through` (bench/proxy/passthrough-worker.ts), `forwarding floor`
 * (forwarding-floor-worker.ts: the pass-through plus the forwarded headers) and `edge` (the worker
 * as shipped); each `--entry` is another worker given the same signed table and UPSTREAM. Same
 * placement as run.ts: nginx upstream, wrk and this process on core 0, the measured workerd
 * alone on core 1. On this shared machine one run's CPU per request moves by tens of µs: trust
 * medians of many runs, and differences that repeat.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import type { Built } from '../../control-plane/pipeline/built.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs, wrkRunFlags } from '../support/args.ts'
import { benchHost, proxyConfig } from './generate.ts'
import { createHarness, pin, waitFor, warmHosts, type Setup } from './harness.ts'
import { ensureTools } from '../support/tools.ts'

const { values } = benchArgs({
  name: 'bench/proxy/ab.ts',
  usage: ['node scripts/run.mjs node bench/proxy/ab.ts [flags]'],
  about:
    "A/B of worker entries under the proxy benchmark's saturated load: CPU per request and req/s of the pass-through worker, the forwarding floor, the edge as shipped and each --entry, medians of interleaved runs. Needs wrk, nginx, taskset and curl.",
  flags: {
    routers: { type: 'string', value: 'N', convert: count, default: '10000', help: 'routers in the table' },
    ...wrkRunFlags('5', '5'),
    'pass-host': { type: 'boolean', help: 'add the passHostHeader paths (direct upstream service, UpstreamPool object); --entry workers get that table too' },
    entry: {
      type: 'string',
      value: 'NAME=WORKER.ts',
      multiple: true,
      convert: (spec: string, flag: string) => {
        const eq = spec.indexOf('=')
        if (eq < 1) throw new Error(`${flag} ${spec}: expected NAME=PATH`)
        return { name: spec.slice(0, eq), path: spec.slice(eq + 1) }
      },
      help: 'another worker measured, given the same signed table and UPSTREAM',
    },
    'entry-direct': { type: 'boolean', help: "with --pass-host: --entry workers get the direct upstream service instead of the pool's" },
  },
})
const ROUTERS = values.routers
const RUNS = values.runs
const DURATION = values.duration
const PASS_HOST = values['pass-host']
const ENTRY_DIRECT = values['entry-direct']
const ENTRIES = values.entry

// Before anything starts: a missing tool is installed, or named, not a stack trace half-way.
ensureTools(['wrk', 'nginx', 'taskset', 'curl'])
const dir = mkdtempSync(join(tmpdir(), 'bench-ab-'))
const edges: LocalEdge[] = []
const { startUpstream, wrk, stopChildren } = createHarness(dir, DURATION)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  pin(process.pid, 0)
  const { url: upstream } = await startUpstream()
  const build = (passHostHeader: boolean) => {
    const built = edgeTableStage({ entryPoint: 'web' })(proxyConfig(ROUTERS, upstream, passHostHeader))
    if (built.problems.length) throw new Error(built.problems.slice(0, 3).join('\n'))
    return built
  }
  const fetchTable = build(false)
  const passTable = PASS_HOST ? build(true) : fetchTable
  const hosts = Array.from({ length: 1000 }, (_, i) => benchHost(Math.floor((i * ROUTERS) / 1000)))

  const start = async (name: string, workerEntry?: string, built: Built = fetchTable, direct = false): Promise<Setup> => {
    const edge = await startLocalEdge({
      store: createMemoryKvStore(),
      stateDir: join(dir, name.replace(/\W/g, '_')),
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
      log: () => {},
      refreshMs: 1000,
      vars: { TABLE_REFRESH_WAIT_MS: '0', UPSTREAM: upstream },
      outbound: { ...built, directUpstreams: direct ? built.directUpstreams : [] },
      ...(workerEntry ? { workerEntry } : {}),
    })
    edges.push(edge)
    await edge.publish(built.table)
    return { name, url: edge.url(), hosts: name === 'pass-through' ? ['localhost'] : hosts, pid: edge.pid }
  }
  const setups = [
    await start('pass-through', join(REPO_ROOT, 'bench/proxy/passthrough-worker.ts')),
    await start('forwarding floor', join(REPO_ROOT, 'bench/proxy/forwarding-floor-worker.ts')),
    await start('edge'),
    ...(PASS_HOST ? [await start('edge passHost: direct', undefined, passTable, true), await start('edge passHost: pool', undefined, passTable, false)] : []),
    ...(await Promise.all(ENTRIES.map((e) => start(e.name, e.path, passTable, ENTRY_DIRECT)))),
  ]
  for (const s of setups) for (const h of s.hosts.slice(0, 50)) await waitFor(s.url, h)
  for (const s of setups) if (s.hosts.length > 1) await warmHosts(s.url, s.hosts)
  const alone = (s: Setup) => {
    for (const other of setups) if (other !== s) pin(other.pid!, 0)
    pin(s.pid!, 1)
  }
  for (const s of setups) {
    alone(s)
    await wrk({ ...s, name: `${s.name} (warm-up)` })
  }
  const cpu = new Map<string, number[]>()
  const rps = new Map<string, number[]>()
  const threads = new Map<string, Array<Record<string, number>>>()
  const p99 = new Map<string, number[]>()
  for (let run = 0; run < RUNS; run++) {
    for (const s of setups) {
      alone(s)
      const r = await wrk(s)
      cpu.set(s.name, [...(cpu.get(s.name) ?? []), r.cpu])
      rps.set(s.name, [...(rps.get(s.name) ?? []), r.rps])
      threads.set(s.name, [...(threads.get(s.name) ?? []), r.threads ?? {}])
      p99.set(s.name, [...(p99.get(s.name) ?? []), r.p99])
      process.stderr.write(`run ${run + 1}/${RUNS} ${s.name}: ${Math.round(r.rps)} req/s, ${Math.round(r.cpu)} µs CPU per request\n`)
    }
  }
  const passCpu = median(cpu.get('pass-through')!)
  const passRps = median(rps.get('pass-through')!)
  // Per run against the floor of the same pass (interleaved: the same minute of the machine).
  const floorCpu = cpu.get('forwarding floor')!
  const floorRps = rps.get('forwarding floor')!
  const floorP99 = p99.get('forwarding floor')!
  console.log(`${ROUTERS} routers, ${RUNS} interleaved runs of ${DURATION} s, medians\n`)
  console.log(
    '| entry | req/s | vs pass-through | vs floor (per run) | p99 ms | p99 vs floor (per run) | CPU µs per request | above pass-through | above floor (per run) | runs (CPU µs) |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const s of setups) {
    const c = median(cpu.get(s.name)!)
    const q = median(rps.get(s.name)!)
    const vsFloor = median(rps.get(s.name)!.map((r, i) => r / floorRps[i]!))
    const aboveFloor = median(cpu.get(s.name)!.map((u, i) => u - floorCpu[i]!))
    const p99VsFloor = median(p99.get(s.name)!.map((l, i) => l / floorP99[i]!))
    console.log(
      `| ${s.name} | ${Math.round(q).toLocaleString('en')} | ${(q / passRps).toFixed(2)}x | ${vsFloor.toFixed(2)}x | ${median(p99.get(s.name)!).toFixed(1)} | ${p99VsFloor.toFixed(2)}x | ${Math.round(c)} | ${Math.round(c - passCpu)} | ${Math.round(aboveFloor)} | ${cpu.get(s.name)!.map(Math.round).join(' / ')} |`,
    )
  }
  // Which threads spend it: workerd's own (the isolate and its I/O) or V8's workers (GC, compilation).
  const names = [...new Set(setups.flatMap((s) => threads.get(s.name)!.flatMap(Object.keys)))].sort()
  console.log(`\nCPU µs per request by thread (medians)\n\n| entry | ${names.join(' | ')} |\n|---|${names.map(() => '---:').join('|')}|`)
  for (const s of setups) {
    console.log(`| ${s.name} | ${names.map((n) => median(threads.get(s.name)!.map((t) => t[n] ?? 0)).toFixed(1)).join(' | ')} |`)
  }
}

async function cleanup(): Promise<void> {
  await Promise.all(edges.map((e) => e.stop()))
  stopChildren()
  rmSync(dir, { recursive: true, force: true })
}

main().then(cleanup, async (err) => {
  console.error(err)
  await cleanup()
  process.exit(1)
})
