// `npm run controller -- --beacon-url` as a real process: a cluster change reaches the edge on
// workerd through the version beacon while the edge's KV view (Workers KV REST sink, a local fake
// of Cloudflare's API, seen through a view that keeps the old pointer) has not caught up; the
// ops server reports the publishes; with no change, the pointer is signed again before it expires
// (--pointer-ttl). The beacon token is read from a file, as the Deployment mounts it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCloudflareKvStore } from '../../control-plane/controller/cloudflare/kv-store.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import { POINTER_KEY } from '../../shared/kv/layout.ts'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../support/apiserver/objects.ts'
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.ts'
import { eventually } from '../support/eventually.ts'
import { startFakeCloudflareKv, type FakeCloudflareKv } from '../support/fake-cloudflare-kv.ts'
import { send } from '../support/http.ts'
import { staleKv, type StaleKv } from '../support/stale-kv.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

const TOKEN = 'controller-beacon-token'
const route = (name: string) => ingressRoute({ name, match: `Host(\`${name}.example\`)`, service: 'whoami' })

describe('npm run controller with the version beacon', () => {
  let dir: string
  let api: TestApiServer
  let cf: FakeCloudflareKv
  let kv: StaleKv
  let edge: LocalEdge
  let upstream: Upstream
  let controller: ControllerProcess
  let opsUrl = ''
  let stderr: string[] = []

  const status = async (host: string) => (await send(edge.url(), { headers: { host } })).status

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'controller-beacon-'))
    api = await startApiServer({ tls: true })
    cf = await startFakeCloudflareKv()
    upstream = await startUpstream({ name: 'whoami' })
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: upstream.port }), route('one'))
    kv = staleKv(createCloudflareKvStore({ accountId: cf.accountId, namespaceId: cf.namespaceId, apiToken: cf.token, baseUrl: cf.baseUrl }))
    // KV's pointer is looked at once a minute (Workers KV would show it about that late); the beacon every 200 ms.
    edge = await startLocalEdge({
      store: kv,
      stateDir: join(dir, 'state'),
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
      vars: { TABLE_BEACON_TOKEN: TOKEN, TABLE_BEACON_MS: '200', TABLE_REFRESH_MS: '60000', TABLE_REFRESH_WAIT_MS: '0' },
    })
    const kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfig())
    await writeFile(join(dir, 'beacon-token'), `${TOKEN}\n`)
    controller = await startControllerProcess(
      [
        '--kubeconfig',
        kubeconfig,
        '--sink',
        'cloudflare',
        '--target',
        'workerd',
        '--signing-key',
        join(dir, 'state', 'signing-key.jwk.json'),
        '--no-leader-election',
        '--ops-port',
        '0',
        '--debounce-ms',
        '20',
        '--pointer-interval-ms',
        '0',
        '--beacon-url',
        edge.url(),
        // Pointers valid for 4 s: signed again every second (a quarter of that).
        '--pointer-ttl',
        '4',
      ],
      {
        CLOUDFLARE_ACCOUNT_ID: cf.accountId,
        CLOUDFLARE_KV_NAMESPACE_ID: cf.namespaceId,
        CLOUDFLARE_API_TOKEN: cf.token,
        CLOUDFLARE_API_BASE_URL: cf.baseUrl,
        TABLE_BEACON_TOKEN_FILE: join(dir, 'beacon-token'),
      },
    )
    opsUrl = controller.opsUrl
    stderr = controller.stderr
  }, 60_000)

  afterAll(async () => {
    await controller?.stop()
    await edge?.stop()
    await cf?.close()
    await upstream?.close()
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a cluster change is served through the beacon while KV still shows the old pointer', async () => {
    await eventually(async () => expect(await status('one.example')).toBe(200), { what: 'first table served', timeoutMs: 20_000 })
    await kv.freeze()
    const frozen = cf.data.get(POINTER_KEY)
    api.apply(route('two'))
    await eventually(async () => expect(await status('two.example')).toBe(200), { what: 'the change served through the beacon' })
    // The pointer in Workers KV moved on; the edge's view of it did not.
    expect(cf.data.get(POINTER_KEY)).not.toBe(frozen)
    expect((await kv.get([POINTER_KEY])).get(POINTER_KEY)).toBe(frozen)
    const metrics = await (await fetch(`${opsUrl}/metrics`)).text()
    expect(metrics).toMatch(/^traefik_edge_push_duration_seconds_count [2-9]/m)
    expect(metrics).toMatch(/^traefik_edge_beacon_failures_total 0$/m)
    expect(metrics).toMatch(/^traefik_edge_compile_duration_seconds_count [1-9]/m)
    expect(stderr.join('\n')).not.toMatch(/version beacon/)
  })

  it('signs the same table again before its pointer expires, with no change in the cluster', async () => {
    const payload = () => {
      const jws = cf.data.get(POINTER_KEY)!
      return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as { issuedAt: number; expiresAt: number; routes: { version: string } }
    }
    const before = payload()
    expect(before.expiresAt - before.issuedAt).toBe(4000)
    const after = await eventually(
      () => {
        const now = payload()
        expect(now.issuedAt).toBeGreaterThan(before.issuedAt)
        return now
      },
      { what: 'the pointer signed again', timeoutMs: 10_000 },
    )
    expect(after.routes.version).toBe(before.routes.version)
    expect(after.expiresAt - after.issuedAt).toBe(4000)
  })
})
