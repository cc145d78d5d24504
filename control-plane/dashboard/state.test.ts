/**
 * The dashboard's state and API on real YAML: sources, statuses and diagnostics per object, the
 * published version, explain and diff over HTTP, mounting under a prefix.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { serviceYaml } from '../../test/support/manifests.ts'
import { parseManifestText } from '../manifests/load.ts'
import type { PublishResult } from '../publish/publisher.ts'
import { buildFromSnapshot } from '../pipeline/pipeline.ts'
import { edgeTableStage } from '../pipeline/edge-table.ts'
import { DashboardModel } from './model.ts'
import { dashboardHandler, serveDashboard } from './server.ts'
import type { DashboardState } from './state.ts'

const YAML = `${serviceYaml({ name: 'web', namespace: 'app', addresses: ['10.0.0.1'], port: 8080 })}---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: site, namespace: app }
spec:
  routes:
    - match: Host(\`a.example\`)
      services: [{ name: web, port: 80 }]
    - match: Host(\`b.example\`)
      services: [{ name: nothere, port: 80 }]
    - match: Host(\`c.example\`)
      middlewares: [{ name: fancy }]
      services: [{ name: web, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: fancy, namespace: app }
spec: { plugin: { demo: { x: 1 } } }
---
apiVersion: v1
kind: Secret
metadata: { name: users, namespace: app }
data: { users: dGVzdDokYXByMSRINnVza2trVyRJZ1hMUDZld1RyU3VCa1RycUU4d2ovCg== }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: auth, namespace: app }
spec: { basicAuth: { secret: users, realm: edge } }
`

function model(yaml = YAML): { model: DashboardModel; publish(n: number): void } {
  const m = new DashboardModel({ entryPoints: ['web'] })
  const parsed = parseManifestText(yaml, 'app.yaml')
  const loaded = {
    snapshot: { objects: parsed.objects.map((o) => o.object), sources: new Map(parsed.objects.map((o) => [o.object, o.source])) },
    diagnostics: parsed.diagnostics,
    files: ['app.yaml'],
  }
  const built = buildFromSnapshot(loaded, {}, edgeTableStage({ entryPoint: 'web' }))
  m.show(loaded, built)
  return {
    model: m,
    publish: (n) =>
      m.observe(
        async () =>
          ({
            changed: true,
            blobsWritten: 1,
            manifest: { layout: 1, schema: 's', issuedAt: n, routes: { version: `r${n}`, rest: '', buckets: [] }, endpoints: { version: `e${n}` } },
          }) as unknown as PublishResult,
      )(built),
  }
}

describe('dashboard state', () => {
  it('gives each router its source route, status and the diagnostics of that route only', () => {
    const s = model().model.state()!
    expect(s.published).toBeNull()
    const routers = [...s.routers].sort((x, y) => x.rule.localeCompare(y.rule))
    expect(routers.map((r) => [r.rule, r.status, r.source?.field, r.source?.location])).toEqual([
      ['Host(`a.example`)', 'enabled', 'spec.routes[0]', 'app.yaml:13'],
      ['Host(`c.example`)', 'error', 'spec.routes[2]', 'app.yaml:13'],
    ])
    const [a, c] = routers
    // The skipped route's problem belongs to the IngressRoute's route 1, not to its other routers.
    expect(a!.diagnostics).toEqual([])
    expect(s.problems.map((p) => p.text)).toContainEqual(expect.stringMatching(/^IngressRoute app\/site: spec\.routes\[1\]\.services\[0\]\.name: .*nothere/))
    expect(c!.answers).toMatch(/^501 /)
    expect(c!.diagnostics.map((d) => [d.stage, d.severity, d.field])).toContainEqual(['edge', 'error', 'middlewares'])
    const fancy = s.middlewares.find((m) => m.name === 'app-fancy')!
    expect(fancy).toMatchObject({ status: 'error', type: 'plugin', source: { kind: 'Middleware', namespace: 'app', name: 'fancy', location: 'app.yaml:26' } })
    // Secrets are never shown: basicAuth users are what the publisher seals.
    expect(s.middlewares.find((m) => m.name === 'app-auth')!.config).toMatchObject({ users: '(secret, not shown)', realm: 'edge' })
    expect(JSON.stringify(s)).not.toContain('apr1')
    expect(s.services.find((x) => x.name === a!.service)).toMatchObject({
      status: 'enabled',
      servers: [{ url: 'http://10.0.0.1:8080', up: true, weight: 1 }],
      source: { kind: 'IngressRoute', field: 'spec.routes[0].services' },
    })
  })

  it('serves state, explain and diff over HTTP, and mounts under a prefix', async () => {
    const { model: m, publish } = model()
    const server: Server = createServer((req, res) => {
      if (!dashboardHandler(m, { prefix: '/dashboard' })(req, res)) res.writeHead(418).end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      expect((await fetch(`${base}/other`)).status).toBe(418)
      const redirect = await fetch(`${base}/dashboard`, { redirect: 'manual' })
      expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/dashboard/'])
      const page = await fetch(`${base}/dashboard/`)
      expect(page.headers.get('content-type')).toContain('text/html')
      expect(await page.text()).toContain('<script src="app.js">')
      publish(1_700_000_000_000)
      const state = (await (await fetch(`${base}/dashboard/api/state`)).json()) as DashboardState
      expect(state.published).toEqual({
        routesVersion: 'r1700000000000',
        endpointsVersion: 'e1700000000000',
        pushedAt: '2023-11-14T22:13:20.000Z',
        changed: true,
      })
      const ok = await fetch(`${base}/dashboard/api/explain`, { method: 'POST', body: JSON.stringify({ url: 'http://c.example/', headers: [['X-A', '1']] }) })
      const e = (await ok.json()) as { router: { name: string; error: { status: number } }; text: string }
      expect(e.router.error.status).toBe(501)
      expect(e.text.split('\n')[0]).toMatch(/^router: app-site-[0-9a-f]{20} {2}rule: Host\(`c\.example`\)$/)
      for (const bad of ['nope', '{"url":"ftp://x/"}', '{"url":"http://a/","headers":[["only-name"]]}', '{}']) {
        const r = await fetch(`${base}/dashboard/api/explain`, { method: 'POST', body: bad })
        expect(r.status, bad).toBe(400)
        expect(((await r.json()) as { error: string }).error).not.toBe('')
      }
      expect(await (await fetch(`${base}/dashboard/api/diff`)).json()).toBeNull()
      expect((await fetch(`${base}/dashboard/api/nothing`)).status).toBe(404)
      // Traefik's API under the same prefix (the controller's --dashboard mounts it at /dashboard/).
      const routers = (await (await fetch(`${base}/dashboard/api/http/routers?search=c.example`)).json()) as Array<{
        name: string
        status: string
        error: string[]
      }>
      expect(routers).toEqual([
        expect.objectContaining({
          name: expect.stringMatching(/^app-site-[0-9a-f]{20}@kubernetescrd$/),
          status: 'warning',
          error: [expect.stringMatching(/^middlewares the edge cannot run: app-fancy/)],
        }),
      ])
      const fancy = (await (await fetch(`${base}/dashboard/api/http/middlewares/app-fancy@kubernetescrd`)).json()) as {
        status: string
        error: string[]
        type: string
      }
      expect(fancy).toMatchObject({ status: 'disabled', type: 'demo', error: ['the edge cannot run this middleware: plugin is not implemented by the edge'] })
    } finally {
      await new Promise((r) => server.close(r))
    }
  })

  it('answers 503 before the first build, on its own port', async () => {
    const server = await serveDashboard(new DashboardModel({}), 0)
    try {
      expect((await fetch(`${server.url}api/state`)).status).toBe(503)
      expect((await fetch(`${server.url}api/rawdata`)).status).toBe(503)
      expect((await fetch(`${server.url}api/explain`, { method: 'POST', body: '{"url":"http://a/"}' })).status).toBe(503)
    } finally {
      await server.close()
    }
  })
})
