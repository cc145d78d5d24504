/**
 * The edge's own CPU work per request, measured inside workerd without network I/O
 * (own-work-worker.ts): N requests through the real edge with an answering fetch(), minus the same
 * loop through fetch() alone; best of 9 per size, so other load on the machine falls out.
 *
 *   node scripts/run.mjs node bench/proxy/own-work.ts [--routers 10000,100000] [--n 5000] [--profile]
 *
 * `--profile` also prints where the edge loop's time goes (V8 sampling profile over the inspector).
 *
 * What the incoming request's first reads cost (request.cf for the client's address on workerd,
 * the first header read) is not in this number: bench/proxy/profile.ts shows it under load.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { benchHost, proxyConfig } from './generate.ts'
import { inclusive, label, profiled, summarize } from './inspector.ts'
import { commaList, count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
import { freePort } from '../support/free-port.ts'

const { values } = benchArgs({
  name: 'bench:own-work',
  usage: ['npm run bench:own-work -- [flags]'],
  about:
    "The edge's own CPU work per request inside workerd without network I/O: N requests through the real edge with an answering fetch(), minus the same loop through fetch() alone; best of 9 per size.",
  flags: {
    routers: { type: 'string', value: 'N[,N...]', default: '10000,100000', help: 'table sizes measured' },
    n: { type: 'string', value: 'N', convert: count, default: '5000', help: 'requests per loop' },
    profile: { type: 'boolean', help: "also print where the edge loop's time goes (V8's sampling profiler over the inspector)" },
  },
})
const SIZES = commaList(values.routers).map((n) => count(n, '--routers'))
const N = values.n
const HOSTS = 1000
const PROFILE = values.profile

const dir = mkdtempSync(join(tmpdir(), 'bench-own-work-'))
let edge: LocalEdge | undefined

async function timed(url: string, mode: string): Promise<number> {
  const t = performance.now()
  const res = await fetch(`${url}/__own-work?n=${N}&mode=${mode}`)
  const body = await res.text()
  if (!res.ok || !body.startsWith(`${N} false`)) throw new Error(`own-work ${mode}: ${res.status} ${body.slice(0, 300)}`)
  return performance.now() - t
}

try {
  console.log(`edge's own work per request (µs), N=${N} requests per loop over ${HOSTS} hosts, best of 9\n`)
  console.log('| routers | bare loop µs/request | edge loop µs/request | own work µs/request |')
  console.log('|---:|---:|---:|---:|')
  const inspector = PROFILE ? `127.0.0.1:${await freePort()}` : undefined
  if (inspector) process.env.WORKERD_INSPECTOR_ADDR = inspector
  const profiles: string[] = []
  for (const routers of SIZES) {
    const hosts = Array.from({ length: HOSTS }, (_, i) => benchHost(Math.floor((i * routers) / HOSTS)))
    edge = await startLocalEdge({
      store: createMemoryKvStore(),
      stateDir: join(dir, `edge-${routers}`),
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
      workerEntry: join(REPO_ROOT, 'bench/proxy/own-work-worker.ts'),
      log: () => {},
      refreshMs: 1000,
      vars: { TABLE_REFRESH_WAIT_MS: '0', HOSTS: hosts.join(',') },
    })
    const { table, problems } = edgeTableStage({ entryPoint: 'web' })(proxyConfig(routers, 'http://127.0.0.1:9', false))
    if (problems.length) throw new Error(problems.slice(0, 3).join('\n'))
    await edge.publish(table)
    // Warm: every host's bucket loaded and prepared, the JIT settled.
    for (let i = 0; i < 3; i++) await timed(edge.url(), 'edge')
    let bare = Infinity
    let full = Infinity
    for (let i = 0; i < 9; i++) {
      bare = Math.min(bare, await timed(edge.url(), 'bare'))
      full = Math.min(full, await timed(edge.url(), 'edge'))
    }
    const per = (ms: number) => (ms * 1000) / N
    console.log(`| ${routers.toLocaleString('en')} | ${per(bare).toFixed(1)} | ${per(full).toFixed(1)} | ${(per(full) - per(bare)).toFixed(1)} |`)
    if (inspector) {
      const url = edge.url()
      const profile = await profiled(inspector, async () => {
        for (let i = 0; i < 5; i++) await timed(url, 'edge')
      })
      profiles.push(`\n${routers.toLocaleString('en')} routers, edge loop: self time\n${summarize(profile, label, 30, 5 * N).join('\n')}`)
      profiles.push(`\ntotal time\n${inclusive(profile, 40, 5 * N).join('\n')}`)
    }
    await edge.stop()
    edge = undefined
  }
  for (const p of profiles) console.log(p)
} finally {
  await edge?.stop().catch(() => {})
  rmSync(dir, { recursive: true, force: true })
}
