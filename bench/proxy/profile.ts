/**
 * A CPU profile of the edge worker under the proxy benchmark's load: where its time per request
 * goes inside workerd (V8 sampling profiler over the inspector), by function and by file.
 *
 *   node scripts/run.mjs node bench/proxy/profile.ts [--routers 10000] [--pass-host [--direct]] [--seconds 10]
 *     [--out FILE.cpuprofile] [--passthrough | --entry WORKER.ts] [--log] [--alloc]
 *
 * `--passthrough` profiles the bare pass-through worker (run.ts's floor) instead, to compare.
 * `--pass-host` takes the UpstreamPool object's path; with `--direct`, the direct upstream
 * service's (a fixed-address service for the upstream, as a static URL gets).
 *
 * The same setup as run.ts's edge rows: nginx upstream and wrk on core 0, workerd on core 1,
 * 1,000 rotating hosts, warm-up first. Sampling itself costs time: compare shares, not req/s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { freePort } from '../support/free-port.ts'
import { benchHost, proxyConfig } from './generate.ts'
import { createHarness, pin, waitFor, warmHosts } from './harness.ts'
import { allocationsDuring, inclusive, label, profiled, summarize, summarizeAllocations } from './inspector.ts'
import { ensureTools } from '../support/tools.ts'

const { values } = benchArgs({
  name: 'bench/proxy/profile.ts',
  usage: ['node scripts/run.mjs node bench/proxy/profile.ts [flags]'],
  about:
    "A CPU profile of the edge worker inside workerd under the proxy benchmark's load (V8's sampling profiler over the inspector), by function and by file. Needs wrk, nginx, taskset and curl.",
  flags: {
    routers: { type: 'string', value: 'N', convert: count, default: '10000', help: 'routers in the table' },
    seconds: { type: 'string', value: 'S', convert: count, default: '10', help: 'how long the profiled load runs' },
    'pass-host': { type: 'boolean', help: "the passHostHeader path over the UpstreamPool object's connections" },
    direct: { type: 'boolean', help: "with --pass-host: the direct upstream service's path (a fixed-address service, as a static URL gets)" },
    out: { type: 'string', value: 'FILE.cpuprofile', help: 'also write the profile there (for Chrome DevTools)' },
    passthrough: { type: 'boolean', help: 'profile the bare pass-through worker (the floor) instead, to compare' },
    entry: { type: 'string', value: 'WORKER.ts', help: "another worker entry in place of the edge's (experiments); it gets the table and UPSTREAM" },
    alloc: { type: 'boolean', help: "bytes allocated per request by function (V8's sampling heap profiler) instead of CPU time" },
    log: { type: 'boolean', help: "workerd's own output (with WORKERD_V8_FLAGS such as --trace-deopt) on stderr" },
  },
})
const ROUTERS = values.routers
const SECONDS = values.seconds
const PASS_HOST = values['pass-host']
const DIRECT = values.direct
const OUT = values.out
const PASSTHROUGH = values.passthrough
const ENTRY = values.entry
const ALLOC = values.alloc
const LOG = values.log

// Before anything starts: a missing tool is installed, or named, not a stack trace half-way.
ensureTools(['wrk', 'nginx', 'taskset', 'curl'])
const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'))
const { startUpstream, wrk, stopChildren } = createHarness(dir, SECONDS)
let edge: LocalEdge | undefined

async function main(): Promise<void> {
  const { url: upstream } = await startUpstream()
  const inspectorAddress = `127.0.0.1:${await freePort()}`
  process.env.WORKERD_INSPECTOR_ADDR = inspectorAddress
  const built = PASSTHROUGH ? undefined : edgeTableStage({ entryPoint: 'web' })(proxyConfig(ROUTERS, upstream, PASS_HOST))
  if (built?.problems.length) throw new Error(built.problems.slice(0, 3).join('\n'))
  edge = await startLocalEdge({
    store: createMemoryKvStore(),
    stateDir: join(dir, 'edge'),
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    log: LOG ? (line) => process.stderr.write(`${line}\n`) : () => {},
    ...(PASSTHROUGH
      ? { workerEntry: join(REPO_ROOT, 'bench/proxy/passthrough-worker.ts'), vars: { UPSTREAM: upstream } }
      : { refreshMs: 1000, vars: { TABLE_REFRESH_WAIT_MS: '0', UPSTREAM: upstream }, ...(ENTRY ? { workerEntry: ENTRY } : {}) }),
    ...(built ? { outbound: { ...built, directUpstreams: DIRECT ? built.directUpstreams : [] } } : {}),
  })
  if (built) await edge.publish(built.table)
  pin(edge.pid, 1)
  const hosts = PASSTHROUGH ? ['localhost'] : Array.from({ length: 1000 }, (_, i) => benchHost(Math.floor((i * ROUTERS) / 1000)))
  for (const h of hosts.slice(0, 20)) await waitFor(edge.url(), h)
  if (hosts.length > 1) await warmHosts(edge.url(), hosts)
  const setup = { name: 'edge', url: edge.url(), hosts, pid: edge.pid }
  const warm = await wrk(setup)
  process.stderr.write(`warm-up: ${Math.round(warm.rps)} req/s, ${Math.round(warm.cpu)} µs CPU per request\n`)

  let measured = warm
  if (ALLOC) {
    const head = await allocationsDuring(inspectorAddress, async () => (measured = await wrk(setup)))
    const what = PASSTHROUGH
      ? 'pass-through worker'
      : `${ENTRY ?? 'edge'}, ${ROUTERS} routers, passHostHeader ${PASS_HOST}${DIRECT ? ' (direct upstream service)' : ''}`
    console.log(`${what}: ${Math.round(measured.rps)} req/s while sampling allocations\n`)
    for (const line of summarizeAllocations(head, 40, measured.rps * SECONDS)) console.log(line)
    return
  }
  const profile = await profiled(inspectorAddress, async () => (measured = await wrk(setup)))
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
