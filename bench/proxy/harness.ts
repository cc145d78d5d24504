/**
 * The proxy benchmark's machinery, shared by run.ts (the comparison) and profile.ts (a CPU profile
 * of the edge under the same load): processes pinned to cores, nginx configs, wrk runs with a
 * rotating Host, and the CPU time a process used.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '../support/free-port.ts'

export interface Setup {
  name: string
  url: string
  /** Host header(s): one, or a wrk Lua script rotating over many. */
  hosts: string[]
  /** The proxy's process: its CPU time is read around each run. */
  pid?: number
}

export interface WrkResult {
  rps: number
  p50: number
  p99: number
  /** CPU µs of `setup.pid` per request; NaN without a pid. */
  cpu: number
  /** The same split by thread name (workerd's own thread, V8's workers for GC and compilation, ...). */
  threads?: Record<string, number>
}

// Never block the event loop: the edges' KV service lives in this process.
const run = promisify(execFile)

export function createHarness(dir: string, durationSeconds: number) {
  const children: ChildProcess[] = []

  function pinned(core: number, cmd: string, argv: string[]): ChildProcess {
    const child = spawn('taskset', ['-c', String(core), cmd, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] })
    children.push(child)
    return child
  }

  function nginxConf(port: number, body: string): string {
    const file = join(dir, `nginx-${port}.conf`)
    writeFileSync(
      file,
      `worker_processes 1;\npid ${dir}/nginx-${port}.pid;\nerror_log ${dir}/nginx-${port}.err warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};\n  ${body}\n}\n`,
    )
    return file
  }

  /** Saturating by default (2 threads, 64 connections); a number: that many requests in flight on one thread. */
  async function wrk(setup: Setup, inFlight: number | 'saturated' = 'saturated'): Promise<WrkResult> {
    const wrkArgs = ['-c', '0', 'wrk', ...(inFlight === 'saturated' ? ['-t2', '-c64'] : ['-t1', `-c${inFlight}`]), `-d${durationSeconds}s`, '--latency']
    if (setup.hosts.length > 1) {
      const script = join(dir, `hosts-${setup.hosts.length}.lua`)
      writeFileSync(
        script,
        `local hosts = {${setup.hosts.map((h) => `"${h}"`).join(',')}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format("GET", "/", { Host = hosts[(n % #hosts) + 1] })\nend\n`,
      )
      wrkArgs.push('-s', script)
    } else {
      wrkArgs.push('-H', `Host: ${setup.hosts[0]}`)
    }
    const before = setup.pid ? cpuMicros(setup.pid) : 0
    const threadsBefore = setup.pid ? threadMicros(setup.pid) : null
    const { stdout: out } = await run('taskset', [...wrkArgs, setup.url + '/'], { encoding: 'utf8' })
    const after = setup.pid ? cpuMicros(setup.pid) : 0
    const threadsAfter = setup.pid ? threadMicros(setup.pid) : null
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN)
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
    if (non2xx > 0) throw new Error(`${setup.name}: ${non2xx} non-2xx responses\n${out}`)
    const result: WrkResult = { rps, p50: latency(out, '50%'), p99: latency(out, '99%'), cpu: setup.pid ? (after - before) / requests : NaN }
    if (threadsBefore && threadsAfter) result.threads = perRequest(threadsBefore, threadsAfter, requests)
    return result
  }

  /**
   * One request at a time over one kept-alive connection for the run's duration, each latency
   * measured here. wrk's latency figures at one connection do not add up on workerd (its mean
   * latency times req/s exceeds the one request in flight, up to 3x), so light load uses this.
   */
  async function sequential(setup: Setup): Promise<WrkResult> {
    const url = new URL(setup.url)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const one = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const start = performance.now()
        const req = request({ host: url.hostname, port: url.port, path: '/', headers: { host }, agent }, (res) => {
          res.resume()
          res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`${setup.name}: ${res.statusCode}`))))
        })
        req.on('error', reject)
        req.end()
      })
    const latencies: number[] = []
    const before = setup.pid ? cpuMicros(setup.pid) : 0
    const end = performance.now() + durationSeconds * 1000
    for (let i = 0; performance.now() < end; i++) latencies.push(await one(setup.hosts[i % setup.hosts.length]!))
    const after = setup.pid ? cpuMicros(setup.pid) : 0
    agent.destroy()
    latencies.sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]!
    return { rps: latencies.length / durationSeconds, p50: at(0.5), p99: at(0.99), cpu: setup.pid ? (after - before) / latencies.length : NaN }
  }

  async function stopChildren(): Promise<void> {
    for (const c of children) c.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  }

  /** The benchmarks' upstream: nginx, one worker answering `200 ok`, on core 0; its URL once it answers. */
  async function startUpstream(): Promise<{ url: string; port: number }> {
    const port = await freePort()
    pinned(0, 'nginx', ['-c', nginxConf(port, `server { listen 127.0.0.1:${port}; location / { return 200 'ok'; } }`), '-g', 'daemon off;'])
    const url = `http://127.0.0.1:${port}`
    await waitFor(url)
    return { url, port }
  }

  return { pinned, nginxConf, startUpstream, wrk, sequential, stopChildren }
}

export function pin(pid: number, core: number): void {
  spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' })
}

/**
 * One request for every host, a few at a time: each edge isolate then has every table bucket the
 * runs rotate over, whatever the machine's load (a timed warm-up at a few hundred req/s on a busy
 * machine leaves buckets to load inside the measured runs, and their parsing in the figures).
 */
export async function warmHosts(url: string, hosts: string[], concurrency = 8): Promise<void> {
  const target = new URL(url)
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const one = (host: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, path: '/', headers: { host }, agent }, (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${url} (Host ${host}): ${res.statusCode}`))))
      })
      req.on('error', reject)
      req.end()
    })
  const queue = [...hosts]
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let host = queue.shift(); host !== undefined; host = queue.shift()) await one(host)
    }),
  )
  agent.destroy()
}

export async function waitFor(url: string, host = 'localhost'): Promise<void> {
  let last = ''
  for (let i = 0; i < 30; i++) {
    last = (await run('curl', ['-s', '-m', '2', '-i', '-H', `Host: ${host}`, url]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout
    if (last.startsWith('HTTP/1.1 200')) return
    await new Promise((res) => setTimeout(res, 100))
  }
  throw new Error(`${url} (Host ${host}) never answered 200: ${last.slice(0, 300)}`)
}

/** User + system CPU time of a process and its threads, in µs (Linux /proc; clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  return statMicros(readFileSync(`/proc/${pid}/stat`, 'utf8'))
}

/** utime + stime of a /proc stat line (after the parenthesized name, which may hold spaces). */
function statMicros(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

/** CPU µs per thread name of a process (threads of one name summed). */
function threadMicros(pid: number): Map<string, number> {
  const byName = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
    } catch {
      continue // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
    byName.set(name, (byName.get(name) ?? 0) + statMicros(stat))
  }
  return byName
}

function perRequest(before: Map<string, number>, after: Map<string, number>, requests: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, us] of after) out[name] = (us - (before.get(name) ?? 0)) / requests
  return out
}

function latency(out: string, pct: string): number {
  const m = new RegExp(`${pct}\\s+([\\d.]+)(us|ms|s)`).exec(out)
  if (!m) return NaN
  const v = Number(m[1])
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v
}
