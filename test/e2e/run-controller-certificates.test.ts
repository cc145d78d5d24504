// `npm run controller -- --cloudflare-zone ZONE --dashboard` as a real process: the certificate
// Secrets the cluster's IngressRoutes name reach the zone's custom certificates (a local fake of
// Cloudflare's API), a renewed Secret replaces the certificate in place, and one no longer named
// is deleted; the dashboard on the ops port shows the cluster's routers with their source objects.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApiServer, type TestApiServer } from '../support/apiserver/index.ts'
import { ingressRoute, serviceObjects } from '../support/apiserver/objects.ts'
import { leafCert, type Pem } from '../support/certs.ts'
import { startControllerProcess, type ControllerProcess } from '../support/controller-process.ts'
import { eventually } from '../support/eventually.ts'
import { startFakeCloudflareCerts, type FakeCloudflareCerts } from '../support/fake-cloudflare-certs.ts'

const secret = (name: string, pem: Pem) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'demo' },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': Buffer.from(pem.cert).toString('base64'), 'tls.key': Buffer.from(pem.key).toString('base64') },
})
const tlsRoute = (name: string, secretName: string) => {
  const r = ingressRoute({ name, match: `Host(\`${name}.example\`)`, service: 'whoami' }) as { spec: Record<string, unknown> }
  r.spec.tls = { secretName }
  return r as Parameters<TestApiServer['apply']>[0]
}

describe('npm run controller --cloudflare-zone', () => {
  let dir: string
  let api: TestApiServer
  let cf: FakeCloudflareCerts
  let controller: ControllerProcess
  let opsUrl = ''
  let stderr: string[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'controller-certs-'))
    api = await startApiServer({ tls: true })
    cf = await startFakeCloudflareCerts()
    api.apply(...serviceObjects({ name: 'whoami', addresses: ['127.0.0.1'], port: 8080 }))
    api.apply(
      secret('one', leafCert({ dns: ['one.example'] })),
      secret('two', leafCert({ dns: ['two.example'] })),
      tlsRoute('one', 'one'),
      tlsRoute('two', 'two'),
    )
    const kubeconfig = join(dir, 'kubeconfig')
    await writeFile(kubeconfig, api.kubeconfig())
    await writeFile(join(dir, 'token'), `${cf.token}\n`)
    controller = await startControllerProcess(
      [
        '--kubeconfig',
        kubeconfig,
        '--sink',
        'local',
        '--persist-to',
        join(dir, 'kv'),
        '--state-dir',
        join(dir, 'state'),
        '--no-leader-election',
        '--ops-port',
        '0',
        '--debounce-ms',
        '20',
        '--cloudflare-zone',
        cf.zoneId,
        '--dashboard',
      ],
      { CLOUDFLARE_API_TOKEN_FILE: join(dir, 'token'), CLOUDFLARE_API_BASE_URL: cf.baseUrl },
    )
    opsUrl = controller.opsUrl
    stderr = controller.stderr
  }, 60_000)

  afterAll(async () => {
    await controller?.stop()
    await cf?.close()
    await api?.close()
    await rm(dir, { recursive: true, force: true })
  })

  const zone = () => [...cf.certificates.values()].map((c) => `${c.id} ${c.hosts.join(',')}`).sort()

  it('uploads, replaces (keeping the id the PATCH answers) and deletes as the cluster changes', async () => {
    await eventually(() => expect(zone()).toEqual(['cert-1 one.example', 'cert-2 two.example'].sort()), { what: 'certificates uploaded', timeoutMs: 20_000 })
    const renewed = leafCert({ dns: ['one.example'] })
    api.apply(secret('one', renewed))
    // Cloudflare gives a PATCHed sni_custom certificate a new id and deletes the old one.
    const patched = await eventually(
      () => {
        const one = [...cf.certificates.values()].find((c) => c.hosts.includes('one.example'))
        expect(one?.certificate).toBe(renewed.cert)
        return one!
      },
      { what: 'renewal patched' },
    )
    expect(patched.id).not.toBe('cert-1')
    expect(cf.calls.filter((c) => c === 'POST')).toHaveLength(2)
    api.remove('IngressRoute', 'demo', 'two')
    await eventually(() => expect(zone()).toEqual([`${patched.id} one.example`]), { what: 'unused certificate deleted' })
    expect(stderr.join('\n')).toMatch(/certificates: 2 uploaded, 0 replaced, 0 deleted/)
  })

  it('serves the dashboard at /dashboard/ on the ops port: routers with their source objects', async () => {
    const page = await fetch(`${opsUrl}/dashboard/`)
    expect(page.status).toBe(200)
    expect(await page.text()).toMatch(/<html/i)
    const state = await eventually(
      async () => {
        const res = await fetch(`${opsUrl}/dashboard/api/state`)
        expect(res.status).toBe(200)
        const body = (await res.json()) as {
          routers: Array<{ name: string; source?: { kind: string; namespace: string; name: string } }>
          published: { routesVersion: string } | null
        }
        // The state can be read between the compile and the first publish.
        expect(body.published).not.toBeNull()
        return body
      },
      { what: 'dashboard state with a published table' },
    )
    const one = state.routers.find((r) => r.name.startsWith('demo-one-'))
    expect(one?.source).toMatchObject({ kind: 'IngressRoute', namespace: 'demo', name: 'one' })
    expect(state.published?.routesVersion).toMatch(/^[\w-]{43}$/)
    expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200)
  })
})
