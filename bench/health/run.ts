/**
 * Health detection benchmark (docs/health.md, "Where active checks run"): how long the local edge
 * (real workerd, local KV, the control plane's checker) takes to stop routing to an upstream that
 * was killed, and to route to it again once revived, for a given check interval; and how many
 * requests fail before the edge's passive check takes a dead server out.
 *
 *   npm run bench:health -- [--interval-ms 1000] [--trials 5]
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { activeHealth } from '../../control-plane/health/active-health.ts'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { startLocalEdge } from '../../control-plane/runtime/local-edge.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { send } from '../../test/support/http.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'

const { values } = benchArgs({
  name: 'bench:health',
  usage: ['npm run bench:health -- [flags]'],
  about:
    'How long the local edge takes to stop routing to a killed upstream and to route to it again (active checks), and how many requests fail before the passive check takes it out.',
  flags: {
    'interval-ms': { type: 'string', value: 'MS', convert: count, default: '1000', help: "the active health check's interval" },
    trials: { type: 'string', value: 'N', convert: count, default: '5', help: 'kills and revivals measured' },
  },
})
const INTERVAL = values['interval-ms']
const TRIALS = values.trials
const HOST = '127.0.0.31'

async function listen(port = 0): Promise<Server> {
  const s = createServer((_, res) => void res.writeHead(200).end('ok'))
  await new Promise<void>((r) => s.listen(port, HOST, r))
  return s
}
const close = (s: Server) =>
  new Promise<void>((r) => {
    s.close(() => r())
    s.closeAllConnections()
  })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-health-'))
  let upstream = await listen()
  const port = (upstream.address() as AddressInfo).port
  const url = `http://${HOST}:${port}`
  const edge = await startLocalEdge({ store: createMemoryKvStore(), stateDir: dir, entryPoints: [{ name: 'web', address: '127.0.0.1:0' }], log: () => {} })
  const health = activeHealth({ report: () => {} })
  const config: DynamicConfig = {
    http: {
      routers: { active: { rule: 'Host(`active.test`)', service: 'active' }, passive: { rule: 'Host(`passive.test`)', service: 'passive' } },
      services: {
        active: { loadBalancer: { servers: [{ url }], passHostHeader: false, healthCheck: { path: '/', interval: `${INTERVAL}ms`, timeout: '500ms' } } },
        passive: { loadBalancer: { servers: [{ url }], passHostHeader: false, passiveHealthCheck: { failureWindow: '60s', maxFailedAttempts: 1 } } },
      },
    },
  }
  const publish = health.publish((b) => edge.publish(b.table))
  await publish(health.stage(edgeTableStage({ entryPoint: 'web' }))(config))
  await sleep(300)
  const status = async (host: string) => (await send(edge.url(), { headers: { host }, timeoutMs: 5000 })).status
  const until = async (host: string, want: number) => {
    const t0 = performance.now()
    while ((await status(host)) !== want) await sleep(10)
    return performance.now() - t0
  }

  const detect: number[] = []
  const recover: number[] = []
  for (let t = 0; t < TRIALS; t++) {
    // A random phase against the checker's ticker.
    await sleep(Math.random() * INTERVAL)
    await close(upstream)
    detect.push(await until('active.test', 503))
    upstream = await listen(port)
    recover.push(await until('active.test', 200))
    process.stderr.write(`trial ${t + 1}: down after ${Math.round(detect.at(-1)!)} ms, back after ${Math.round(recover.at(-1)!)} ms\n`)
  }

  // Passive: the first request to the dead server fails; the next ones are answered without it (503: no other server).
  await close(upstream)
  const passive: number[] = []
  for (let i = 0; i < 5; i++) passive.push(await status('passive.test'))
  upstream = await listen(port)

  health.stop()
  await edge.stop()
  await close(upstream)
  rmSync(dir, { recursive: true, force: true })

  const stats = (xs: number[]) => {
    const s = xs.slice().sort((a, b) => a - b)
    return `${Math.round(s[Math.floor(s.length / 2)]!)} / ${Math.round(s.at(-1)!)}`
  }
  console.log(`active check every ${INTERVAL} ms (timeout 500 ms), ${TRIALS} trials, local KV, worker refresh 250 ms\n`)
  console.log('| what | median / max ms |')
  console.log('|---|---:|')
  console.log(`| killed upstream out of rotation | ${stats(detect)} |`)
  console.log(`| revived upstream back in rotation | ${stats(recover)} |`)
  console.log(`\npassive check (maxFailedAttempts 1): statuses of the first 5 requests after the kill: ${passive.join(', ')}`)
}

await main()
