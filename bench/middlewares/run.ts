/**
 * Middleware benchmark (docs/performance.md, "Middlewares"): the per-request cost of a
 * 5-middleware chain (headers, stripPrefix, ipAllowList, rateLimit, basicAuth with a bcrypt user,
 * its check remembered) against the same route without middlewares, and of each of the five
 * alone, measured two ways:
 *  - through `workerd serve` with wrk on loopback: one edge serves every setup (a router per
 *    Host), pinned alone on core 1; wrk and the upstream (nginx, one worker) share core 0;
 *  - inside workerd alone (./chain-worker.ts): the chains run in a loop with no network, workerd's
 *    CPU time per iteration read from /proc.
 * Medians of interleaved runs.
 *
 *   npm run bench:middlewares -- [--duration 5] [--runs 3]
 *
 * Needs wrk, nginx and taskset.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import bcrypt from 'bcryptjs'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { REPO_ROOT, startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import type { DynamicConfig, Middleware } from '../../shared/dynamic/types.ts'
import { benchArgs, wrkRunFlags } from '../support/args.ts'
import { freePort } from '../support/free-port.ts'

const { values } = benchArgs({
  name: 'bench:middlewares',
  usage: ['npm run bench:middlewares -- [flags]'],
  about:
    'The per-request cost of a 5-middleware chain against none, and of each alone: through workerd serve with wrk, and inside workerd alone. Needs wrk, nginx and taskset.',
  flags: {
    ...wrkRunFlags('5', '3'),
    'loop-only': { type: 'boolean', help: 'only the in-workerd loop (no wrk, no upstream): quick, and steady on a busy machine' },
  },
})
const DURATION = values.duration
const RUNS = values.runs
const LOOP_ONLY = values['loop-only']
const PATH = '/api/items?page=2'
const AUTHORIZATION = `Basic ${btoa('alice:wonderland')}`

const MIDDLEWARES: Record<string, Middleware> = {
  headers: { headers: { customRequestHeaders: { 'X-Edge': '1' }, customResponseHeaders: { 'X-Served-By': 'edge' } } },
  stripPrefix: { stripPrefix: { prefixes: ['/api'] } },
  ipAllowList: { ipAllowList: { sourceRange: ['10.0.0.0/8', '192.168.0.0/16', '127.0.0.1/32'] } },
  // Far above what wrk sends: every request goes through the bucket and none is refused.
  rateLimit: { rateLimit: { average: 100_000_000, period: '1s', burst: 100_000_000 } },
  basicAuth: { basicAuth: { users: [`alice:${bcrypt.hashSync('wonderland', 10)}`] } },
}
const CHAIN = Object.keys(MIDDLEWARES)

const dir = mkdtempSync(join(tmpdir(), 'bench-middlewares-'))
const children: ChildProcess[] = []
let edge: LocalEdge | null = null
let loop: LocalEdge | null = null
const exec = promisify(execFile)
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`)

function config(upstream: string): DynamicConfig {
  const routers: NonNullable<DynamicConfig['http']>['routers'] = {
    none: { rule: 'Host(`none.bench`)', service: 'up' },
    chain: { rule: 'Host(`chain.bench`)', service: 'up', middlewares: CHAIN },
  }
  for (const name of CHAIN) routers[name] = { rule: `Host(\`${name.toLowerCase()}.bench\`)`, service: 'up', middlewares: [name] }
  // The server's own Host: the pooled fetch() path, so the proxy part is the same cheap one everywhere.
  return { http: { routers, middlewares: MIDDLEWARES, services: { up: { loadBalancer: { servers: [{ url: upstream }], passHostHeader: false } } } } }
}

interface Result {
  rps: number
  p50: number
  p99: number
  /** CPU time workerd used per request (user + system, all its threads). */
  cpuUs: number
}

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** CPU seconds a process has used (utime + stime of /proc/PID/stat, every thread counted). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

// Requests per second alone would measure the machine's other load as much as the edge; the CPU
// workerd spends per request does not depend on who else runs.
async function wrk(url: string, host: string, seconds: number, pid: number): Promise<Result> {
  const cpuBefore = cpuSeconds(pid)
  const { stdout } = await exec(
    'taskset',
    ['-c', '0', 'wrk', '-t2', '-c64', `-d${seconds}s`, '--latency', '-H', `Host: ${host}`, '-H', `Authorization: ${AUTHORIZATION}`, url + PATH],
    { encoding: 'utf8' },
  )
  const bad = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0)
  if (bad > 0) throw new Error(`${host}: ${bad} non-2xx responses\n${stdout}`)
  const ms = (pct: string) => {
    const m = new RegExp(`${pct}\\s+([\\d.]+)(us|ms|s)\\b`).exec(stdout)
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN
  }
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN)
  const cpuUs = ((cpuSeconds(pid) - cpuBefore) * 1e6) / requests
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN), p50: ms('50%'), p99: ms('99%'), cpuUs }
}

async function answers(url: string, host: string): Promise<void> {
  let last = ''
  for (let i = 0; i < 50; i++) {
    const r = await exec('curl', [
      '-s',
      '-m',
      '2',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      `Host: ${host}`,
      '-H',
      `Authorization: ${AUTHORIZATION}`,
      url + PATH,
    ]).catch(() => ({ stdout: '' }))
    last = r.stdout
    if (last === '200') return
    await new Promise((res) => setTimeout(res, 100))
  }
  throw new Error(`${host} never answered 200 (last ${last || 'nothing'})`)
}

async function main(): Promise<void> {
  if (LOOP_ONLY) return printLoop(await inIsolate(loopSetups()))
  const upPort = await freePort()
  const conf = join(dir, 'nginx.conf')
  writeFileSync(
    conf,
    `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/nginx.err warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};\n  server { listen 127.0.0.1:${upPort}; location / { return 200 'ok'; } }\n}\n`,
  )
  const nginx = spawn('taskset', ['-c', '0', 'nginx', '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'inherit'] })
  children.push(nginx)
  const upstream = `http://127.0.0.1:${upPort}`

  const { table, problems } = edgeTableStage({ entryPoint: 'web' })(config(upstream))
  if (problems.length) throw new Error(problems.join('\n'))
  edge = await startLocalEdge({
    store: createMemoryKvStore(),
    stateDir: join(dir, 'edge'),
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    log: () => {},
    refreshMs: 5000,
  })
  await edge.publish(table)
  spawnSync('taskset', ['-a', '-p', '-c', '1', String(edge.pid)], { stdio: 'ignore' })
  const url = edge.url()

  const setups: Array<[string, string]> = [
    ['no middleware', 'none.bench'],
    [`chain of 5 (${CHAIN.join(', ')})`, 'chain.bench'],
    ...CHAIN.map((name): [string, string] => [`${name} alone`, `${name.toLowerCase()}.bench`]),
  ]
  for (const [, host] of setups) await answers(url, host)
  log('all answer; warming up')
  const pid = edge.pid
  for (const [, host] of setups) await wrk(url, host, 2, pid)

  const results = new Map<string, Result[]>()
  for (let run = 0; run < RUNS; run++) {
    for (const [name, host] of setups) {
      const r = await wrk(url, host, DURATION, pid)
      results.set(name, [...(results.get(name) ?? []), r])
      log(`run ${run + 1}/${RUNS} ${name}: ${Math.round(r.rps)} req/s, ${r.cpuUs.toFixed(1)} µs CPU per request`)
    }
  }
  const loopUs = await inIsolate(loopSetups())
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const base = median(results.get(setups[0]![0])!.map((r) => r.cpuUs))
  console.log(`wrk -t2 -c64 -d${DURATION}s --latency, ${RUNS} interleaved runs, medians; nginx upstream + wrk on core 0, the edge (workerd) alone on core 1\n`)
  console.log('| route | req/s | p50 ms | p99 ms | workerd CPU µs per request | added CPU µs vs no middleware |')
  console.log('|---|---:|---:|---:|---:|---:|')
  for (const [name] of setups) {
    const rs = results.get(name)!
    const cpu = median(rs.map((r) => r.cpuUs))
    const added = name === setups[0]![0] ? '' : (cpu - base).toFixed(1)
    console.log(
      `| ${name} | ${Math.round(median(rs.map((r) => r.rps))).toLocaleString('en')} | ${median(rs.map((r) => r.p50)).toFixed(2)} | ${median(rs.map((r) => r.p99)).toFixed(2)} | ${cpu.toFixed(1)} | ${added} |`,
    )
  }
  printLoop(loopUs)
}

function loopSetups(): Array<[string, string[]]> {
  return [['no middleware', []], [`chain of 5 (${CHAIN.join(', ')})`, CHAIN], ...CHAIN.map((name): [string, string[]] => [`${name} alone`, [name]])]
}

function printLoop(loopUs: Map<string, number>): void {
  const loopBase = loopUs.get('no middleware')!
  console.log(`\nInside workerd, no network (./chain-worker.ts): 50,000 iterations per run, ${RUNS} interleaved runs, medians\n`)
  console.log("| chain | workerd CPU µs per iteration | the middlewares' own µs |")
  console.log('|---|---:|---:|')
  for (const [name, us] of loopUs) console.log(`| ${name} | ${us.toFixed(2)} | ${name === 'no middleware' ? '' : (us - loopBase).toFixed(2)} |`)
}

/** CPU µs per chain iteration inside workerd, for every setup (medians of interleaved runs). */
async function inIsolate(setups: Array<[string, string[]]>): Promise<Map<string, number>> {
  const chains = Object.fromEntries(
    setups.map(([name, mws]) => [name, mws.map((m) => ({ type: Object.keys(MIDDLEWARES[m]!)[0]!, config: Object.values(MIDDLEWARES[m]!)[0] }))]),
  )
  loop = await startLocalEdge({
    store: createMemoryKvStore(),
    stateDir: join(dir, 'loop'),
    entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    workerEntry: join(REPO_ROOT, 'bench/middlewares/chain-worker.ts'),
    vars: { CHAINS: JSON.stringify(chains) },
    log: () => {},
  })
  spawnSync('taskset', ['-a', '-p', '-c', '1', String(loop.pid)], { stdio: 'ignore' })
  const N = 50_000
  const once = async (name: string, n: number) => {
    const before = cpuSeconds(loop!.pid)
    const { stdout } = await exec('curl', ['-s', '-H', `Authorization: ${AUTHORIZATION}`, `${loop!.url()}/?chain=${encodeURIComponent(name)}&n=${n}`])
    if (stdout !== 'done') throw new Error(`chain ${name}: ${stdout}`)
    return ((cpuSeconds(loop!.pid) - before) * 1e6) / n
  }
  for (const [name] of setups) await once(name, 2_000)
  const runs = new Map<string, number[]>()
  for (let run = 0; run < RUNS; run++) for (const [name] of setups) runs.set(name, [...(runs.get(name) ?? []), await once(name, N)])
  return new Map([...runs].map(([name, xs]) => [name, xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!]))
}

async function cleanup(): Promise<void> {
  await loop?.stop().catch(() => {})
  await edge?.stop().catch(() => {})
  for (const c of children) c.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
}

try {
  await main()
} finally {
  await cleanup()
}
