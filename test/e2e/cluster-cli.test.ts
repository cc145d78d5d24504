// `npm run controller` as the Deployment runs it: two replicas (real processes) against the test
// API server, publishing through the Workers KV REST sink (a local fake of Cloudflare's API) that
// the edge on workerd reads. The leader is killed with SIGKILL; the standby takes over and the
// edge serves the change made meanwhile. /readyz and /metrics answer on each replica.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCloudflareKvStore } from '../../control-plane/controller/cloudflare/kv-store.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../support/apiserver/objects.ts'
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.ts'
import { eventually } from '../support/eventually.ts'
import { startFakeCloudflareKv, type FakeCloudflareKv } from '../support/fake-cloudflare-kv.ts'
import { send } from '../support/http.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

const route = (name: string) => ingressRoute({ name, match: `Host(\`${name}.example\`)`, service: 'whoami' })

describe('npm run controller', () => {
  let dir: string
  let api: TestApiServer
  let kv: FakeCloudflareKv
  let edge: LocalEdge
  let upstream: Upstream
  const replicas = new Map<string, ControllerProcess>()

  const startReplica = async (identity: string, kubeconfig: string) => {
    const replica = await startControllerProcess(
      [
        '--kubeconfig',
        kubeconfig,
        '--sink',
        'cloudflare',
        '--target',
        'workerd',
        '--signing-key',
        join(dir, 'state', 'signing-key.jwk.json'),
        '--identity',
        identity,
        '--lease-namespace',
        'traefik-edge',
        '--lease-duration',
        '1',
        '--renew-deadline',
        '0.7',
        '--retry-period',
        '0.2',
        '--ops-port',
        '0',
        '--debounce-ms',
        '20',
      ],
      { CLOUDFLARE_ACCOUNT_ID: kv.accountId, CLOUDFLARE_KV_NAMESPACE_ID: kv.namespaceId, CLOUDFLARE_API_TOKEN: kv.token, CLOUDFLARE_API_BASE_URL: kv.baseUrl },
    )
    replicas.set(identity, replica)
    return replica
  }

  const holder = () => (api.objects('Lease', 'traefik-edge')[0]?.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? ''
  const status = async (host: string) => (await send(edge.url(), { headers: { host } })).status

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'controller-cli-'))
    api = await startApiServer({ tls: true })
    kv = await startFakeCloudflareKv()
    upstream = await startUpstream({ name: 'whoami' })
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: upstream.port }), route('one'), {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'traefik-edge' },
    })
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
    await Promise.all([...replicas.values()].map((r) => r.stop()))
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
