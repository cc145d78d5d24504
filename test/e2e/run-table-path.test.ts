// The table's whole way on workerd, proxy aside: manifests -> compile -> edge table -> split by
// host -> signed blobs in KV -> verified and prepared in the worker -> the router Traefik picks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { ingressRouteYaml, serviceYaml, startEdge, type TestEdge } from '../support/index.ts'

const ROUTE_PROBE = join(REPO_ROOT, 'test/support/fixtures/route-probe-worker.ts')

async function routed(edge: TestEdge, host: string, path = '/') {
  const res = await edge.request(path, { headers: { host } })
  expect(res.status).toBe(200)
  return JSON.parse(res.body) as { router: string | null; service: string | null; servers: string[] }
}

describe('table path on workerd', () => {
  let edge: TestEdge
  beforeAll(async () => {
    edge = await startEdge({
      worker: ROUTE_PROBE,
      input: {
        yaml: [
          serviceYaml({ name: 'app', addresses: ['127.0.0.31', '127.0.0.32'], port: 8080 }),
          ingressRouteYaml({ name: 'app', match: 'Host(`app.test`)', service: 'app' }),
          ingressRouteYaml({ name: 'api', match: 'Host(`app.test`) && PathPrefix(`/api`)', service: 'app' }),
        ].join('---\n'),
      },
    })
  })
  afterAll(() => edge?.stop())

  it('routes by host and path with the servers of the EndpointSlice', async () => {
    const site = await routed(edge, 'app.test')
    expect(site.router).toMatch(/^demo-app-[0-9a-f]{20}$/)
    expect(site.servers).toEqual(['http://127.0.0.31:8080', 'http://127.0.0.32:8080'])
    const api = await routed(edge, 'APP.test:8787', '/api/users')
    expect(api.router).toMatch(/^demo-api-[0-9a-f]{20}$/)
    expect((await routed(edge, 'other.test')).router).toBeNull()
  })

  it('serves an applied change, and reports what it skipped', async () => {
    const { problems } = await edge.apply({
      yaml: [
        serviceYaml({ name: 'app', addresses: ['127.0.0.33'], port: 9090 }),
        ingressRouteYaml({ name: 'app', match: 'Host(`new.test`)', service: 'app' }),
        ingressRouteYaml({ name: 'broken', match: 'Host(`b.test`)', service: 'missing' }),
      ].join('---\n'),
    })
    expect(problems.some((p) => p.startsWith('IngressRoute demo/broken: '))).toBe(true)
    expect((await routed(edge, 'app.test')).router).toBeNull()
    expect((await routed(edge, 'new.test')).servers).toEqual(['http://127.0.0.33:9090'])
  })

  it('routes every host of a table sharded into many buckets', async () => {
    const hosts = Array.from({ length: 2000 }, (_, i) => `h${i}.test`)
    const { published } = await edge.apply({
      yaml: [
        serviceYaml({ name: 'app', addresses: ['127.0.0.34'], port: 8080 }),
        ...hosts.map((h, i) => ingressRouteYaml({ name: `r${i}`, match: `Host(\`${h}\`)`, service: 'app' })),
        ingressRouteYaml({ name: 'fallback', match: 'PathPrefix(`/fallback`)', service: 'app' }),
      ].join('---\n'),
    })
    expect(published.manifest.routes.buckets.length).toBeGreaterThan(1)
    for (const i of [0, 1, 777, 1999]) expect((await routed(edge, `h${i}.test`)).router).toMatch(new RegExp(`^demo-r${i}-`))
    // A host-less router (the `rest` part) serves any host, bucketed or not.
    expect((await routed(edge, 'h5.test', '/fallback')).router).toMatch(/^demo-fallback-/)
    expect((await routed(edge, 'unknown.test', '/fallback')).router).toMatch(/^demo-fallback-/)
  })
})
