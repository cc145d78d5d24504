/**
 * Traefik's own CRD integration test (integration/k8s_test.go TestCRDConfiguration, transcribed
 * in test/traefik/conformance/api-integration-crd.json) against a real `npm run edge`: the manifests of
 * Traefik's integration fixtures, the EndpointSlices k3s makes of their Deployments (two real
 * upstreams here), and Traefik's provider settings (allowExternalNameServices). Traefik's API
 * must answer what Traefik's answers, statuses and errors included, compared as Traefik's test
 * compares it (server addresses, pod IPs there, left out), twice: on the dashboard's URL (the
 * control plane), and through the edge itself, where the fixtures route /api to api@internal.
 */
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send } from '../support/http.ts'
import { spawnNpmEdge, type NpmEdge } from '../support/npm-edge.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'
import { conformanceCases, INTEGRATION_FIXTURES_DIR as FIXTURES } from '../support/traefik-data.ts'

const DATA = conformanceCases<{ expected: Record<string, Record<string, unknown>> }>('api-integration-crd.json')
/**
 * The Gateway API CRD definitions (00-experimental-*.yml), read by Traefik's Gateway provider
 * only, hold YAML the `yaml` package refuses (a quoted scalar continued less indented than its
 * key; go-yaml lets it pass). The CRD provider never reads them.
 */
const SKIPPED = /^00-experimental/

let dir: string
let pods: Upstream[]
let edge: NpmEdge
let dashboard: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'api-integration-'))
  for (const f of await readdir(FIXTURES)) if (/\.ya?ml$/.test(f) && !SKIPPED.test(f)) await cp(join(FIXTURES, f), join(dir, 'manifests', f))
  // Two pods of Deployment whoami: one port, two addresses.
  const first = await startUpstream({ host: '127.0.0.41', name: 'pod-1' })
  pods = [first, await startUpstream({ host: '127.0.0.42', port: first.port, name: 'pod-2' })]
  await writeFile(join(dir, 'manifests', 'k3s-endpointslices.yaml'), endpointSlices(pods))
  edge = await spawnNpmEdge([
    '--manifests',
    join(dir, 'manifests'),
    '--port',
    '0',
    '--allow-external-name-services',
    '--persist-to',
    join(dir, 'kv'),
    '--state-dir',
    join(dir, 'state'),
  ])
  while (!/^dashboard at \S+$/m.test(edge.stderr())) await new Promise((r) => setTimeout(r, 20))
  dashboard = /^dashboard at (\S+)$/m.exec(edge.stderr())![1]!.replace(/\/$/, '')
}, 120_000)

afterAll(async () => {
  await edge?.stop()
  await Promise.all((pods ?? []).map((p) => p.close()))
  if (dir) await rm(dir, { recursive: true, force: true })
})

function endpointSlices(servers: Upstream[]): string {
  const slice = (ns: string, addresses: Upstream[]) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: whoami-k3s, namespace: ${ns}, labels: { kubernetes.io/service-name: whoami } }
addressType: IPv4
ports: [{ name: http, port: ${servers[0]!.port} }]
endpoints: [${addresses.map((s) => `{ addresses: [${s.host}], conditions: { ready: true } }`).join(', ')}]
`
  return `${slice('default', servers)}---\n${slice('other-ns', [])}`
}

/** As Traefik's matchesConfig: server URLs and addresses (pod IPs) and serverStatus keys are not compared. */
function sanitized(raw: unknown): unknown {
  return JSON.parse(JSON.stringify(raw), (key, value) => {
    if ((key === 'url' || key === 'address') && typeof value === 'string') return 'XXXX'
    if (key === 'serverStatus' && value && typeof value === 'object') return Object.values(value as object).map((v) => ({ XXXX: v }))
    return value
  })
}

const HTTP = ['routers', 'middlewares', 'services'] as const

describe("Traefik's API on Traefik's CRD integration fixtures (npm run edge)", () => {
  it("answers /api/rawdata on the dashboard's URL as Traefik's API does", async () => {
    const res = await send(`${dashboard}/api/rawdata`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json')
    const got = JSON.parse(res.body) as Record<string, unknown>
    for (const section of HTTP) expect(sanitized(got[section]), section).toEqual(sanitized(DATA.expected[section]))
    // The edge serves HTTP only: Traefik's tcp/udp sections (IngressRouteTCP/UDP) have no counterpart (docs/api.md).
    expect(Object.keys(got).sort()).toEqual([...HTTP].sort())
  })

  it('lists, filters and pages as Traefik does, with its statuses and errors', async () => {
    const disabled = await send(`${dashboard}/api/http/routers?status=disabled`)
    expect(disabled.headers['x-next-page']).toBe('1')
    expect(JSON.parse(disabled.body)).toEqual([
      expect.objectContaining({
        name: 'other-ns-test6-route-482e4988e134701d8cc8@kubernetescrd',
        provider: 'kubernetescrd',
        priorityStr: '35',
        status: 'disabled',
        error: ['the service "other-ns-wrr3@kubernetescrd" does not exist'],
      }),
    ])
    const page = await send(`${dashboard}/api/http/services?search=route&per_page=2&page=1`)
    expect(page.headers['x-next-page']).toBe('2')
    expect((JSON.parse(page.body) as Array<{ name: string; type: string }>).map((s) => [s.name, s.type])).toEqual([
      ['default-test-route-6b204d94623b3df4370c@kubernetescrd', 'loadbalancer'],
      ['default-test2-route-23c7f4c450289ee29016@kubernetescrd', 'loadbalancer'],
    ])
    const byMiddleware = await send(`${dashboard}/api/http/routers?middlewareName=default-mychain@kubernetescrd`)
    expect((JSON.parse(byMiddleware.body) as Array<{ name: string }>).map((r) => r.name)).toEqual(['default-test2-route-23c7f4c450289ee29016@kubernetescrd'])
    const api = await send(`${dashboard}/api/http/services/api@internal`)
    expect(JSON.parse(api.body)).toEqual({
      name: 'api@internal',
      provider: 'internal',
      status: 'enabled',
      usedBy: ['default-api-route-29f28a463fb5d5ba16d2@kubernetescrd'],
    })
    const overview = JSON.parse((await send(`${dashboard}/api/overview`)).body) as { http: unknown; providers: string[] }
    expect(overview.http).toEqual({
      routers: { total: 7, warnings: 0, errors: 1 },
      services: { total: 11, warnings: 0, errors: 0 },
      middlewares: { total: 3, warnings: 0, errors: 0 },
    })
    expect(overview.providers).toEqual(['KubernetesCRD'])
    expect(JSON.parse((await send(`${dashboard}/api/entrypoints`)).body)).toEqual([
      { name: 'web', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/), http: {} },
    ])
  })

  it('serves the same through the edge, where the fixtures route /api to api@internal', async () => {
    const res = await send(`${edge.url}/api/rawdata`)
    expect(res.status).toBe(200)
    const got = JSON.parse(res.body) as Record<string, unknown>
    for (const section of HTTP) expect(sanitized(got[section]), section).toEqual(sanitized(DATA.expected[section]))
    // The edge's own health view: both pods up.
    const svc = JSON.parse((await send(`${edge.url}/api/http/services/default-whoami-80@kubernetescrd`)).body) as { serverStatus: Record<string, string> }
    expect(svc.serverStatus).toEqual(Object.fromEntries(pods.map((p) => [`http://${p.host}:${p.port}`, 'UP'])))
    // And the routes themselves serve the pods.
    const bar = await send(`${edge.url}/bar`, { headers: { host: 'foo.com' } })
    expect(bar.status, edge.stderr()).toBe(404) // test.route is a TLS router (tls.options): plain HTTP on web does not match it
    const wrr = await send(`${edge.url}/wrr1`, { headers: { host: 'foo.com' } })
    expect(wrr.status).toBe(200)
  })
})
