// `npm run controller` as the Deployment runs it: two replicas (real processes) against the test
// API server, publishing through the Workers KV REST sink (a local fake of Cloudflare's API) that
// the edge on workerd reads. The leader is killed with SIGKILL; the standby takes over and the
// edge serves the change made meanwhile. /readyz and /metrics answer on each replica.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCloudflareKvStore } from '../../control-plane/kv/cloudflare-rest-store.ts'
import { REPO_ROOT, startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../support/apiserver/objects.ts'
import { eventually } from '../support/eventually.ts'
import { startFakeCloudflareKv, type FakeCloudflareKv } from '../support/fake-cloudflare-kv.ts'
import { send } from '../support/http.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

interface Replica {
  proc: ChildProcess
  opsUrl: string
  stderr: string[]
}

const route = (name: string) => ingressRoute({ name, match: `Host(\`${name}.example\`)`, service: 'whoami' })

describe('npm run controller', () => {
  let dir: string
  let api: TestApiServer
  let kv: FakeCloudflareKv
  let edge: LocalEdge
  let upstream: Upstream
  const replicas = new Map<string, Replica>()

  const startReplica = (identity: string, kubeconfig: string) =>
    new Promise<Replica>((resolve, reject) => {
      const proc = spawn(process.execPath, [
        join(REPO_ROOT, 'control-plane/cli/controller.ts'),
        '--kubeconfig', kubeconfig,
        '--sink', 'cloudflare',
        '--target', 'workerd',
        '--signing-key', join(dir, 'state', 'signing-key.jwk.json'),
        '--identity', identity,
        '--lease-namespace', 'traefik-edge',
        '--lease-duration', '1', '--renew-deadline', '0.7', '--retry-period', '0.2',
        '--ops-port', '0',
        '--debounce-ms', '20',
      ], {
        env: { ...process.env, CLOUDFLARE_ACCOUNT_ID: kv.accountId, CLOUDFLARE_KV_NAMESPACE_ID: kv.namespaceId, CLOUDFLARE_API_TOKEN: kv.token, CLOUDFLARE_API_BASE_URL: kv.baseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      const replica: Replica = { proc, opsUrl: '', stderr: [] }
      createInterface(proc.stderr!).on('line', (l) => replica.stderr.push(l))
      createInterface(proc.stdout!).on('line', (l) => {
        const m = /^ready (\S+)/.exec(l)
        if (m) {
          replica.opsUrl = m[1]!
          replicas.set(identity, replica)
          resolve(replica)
        }
      })
      proc.on('exit', (code) => reject(new Error(`controller ${identity} exited ${code}: ${replica.stderr.join('\n')}`)))
    })

  const holder = () => (api.objects('Lease', 'traefik-edge')[0]?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? ''
  const status = async (host: string) => (await send(edge.url(), { headers: { host } })).status

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'controller-cli-'))
    api = await startApiServer({ tls: true })
    kv = await startFakeCloudflareKv()
    upstream = await startUpstream({ name: 'whoami' })
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: upstream.port }), route('one'))
    // The edge's key (generated in its state dir) is the one the replicas sign with.
    edge = await startLocalEdge({
      store: createCloudflareKvStore({ accountId: kv.accountId, namespaceId: kv.namespaceId, apiToken: kv.token, baseUrl: kv.baseUrl }),
      stateDir: join(dir, 'state'),
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
    })
    const kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfig())
    await Promise.all([startReplica('r1', kubeconfig), startReplica('r2', kubeconfig)])
  }, 60_000)

  afterAll(async () => {
    const running = [...replicas.values()].filter((r) => r.proc.exitCode === null && r.proc.signalCode === null)
    await Promise.all(running.map((r) => new Promise((res) => {
      r.proc.once('exit', res)
      r.proc.kill('SIGTERM')
    })))
    await edge?.stop()
    await kv?.close()
    await upstream?.close()
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('one replica leads and publishes; both are ready and export their state as metrics', async () => {
    await eventually(async () => expect(await status('one.example')).toBe(200), { what: 'one.example served', timeoutMs: 20_000 })
    const leader = holder()
    expect(['r1', 'r2']).toContain(leader)
    for (const [id, r] of replicas) {
      await eventually(async () => expect((await fetch(`${r.opsUrl}/readyz`)).status).toBe(200), { what: `${id} ready` })
      expect((await fetch(`${r.opsUrl}/healthz`)).status).toBe(200)
      const metrics = await (await fetch(`${r.opsUrl}/metrics`)).text()
      expect(metrics).toContain(`traefik_edge_leader ${id === leader ? 1 : 0}`)
      expect(metrics).toMatch(/traefik_edge_objects_watched\{kind="IngressRoute"\} 1/)
      expect(metrics).toContain('traefik_edge_cache_synced 1')
    }
  })

  it('SIGKILL of the leader: the standby takes over and the edge serves the change made meanwhile', async () => {
    const leader = holder()
    const standby = leader === 'r1' ? 'r2' : 'r1'
    const dead = replicas.get(leader)!.proc
    dead.kill('SIGKILL')
    await new Promise((r) => dead.once('exit', r))
    api.apply(route('two'))
    await eventually(() => expect(holder()).toBe(standby), { what: `${standby} takes over`, timeoutMs: 5_000 })
    await eventually(async () => expect(await status('two.example')).toBe(200), { what: 'two.example served' })
    expect(await status('one.example')).toBe(200)
    expect(replicas.get(standby)!.stderr.some((l) => /is now the leader/.test(l))).toBe(true)
  })
})
