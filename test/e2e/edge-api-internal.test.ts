/**
 * `api@internal`, `dashboard@internal` and `noop@internal` as TraefikService targets, on the real
 * workerd runtime, from manifests as Traefik's documentation writes them: the API and dashboard
 * behind basicAuth, the dashboard behind ipAllowList. The worker serves them from the document
 * published with the table (KV never holds a secret), with the current servers' health, for a
 * table built for workerd and one built for Cloudflare.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceYaml, startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'

const b64 = (s: string) => Buffer.from(s).toString('base64')
const basic = (user: string, password: string) => `Basic ${b64(`${user}:${password}`)}`
const APR1 = 'admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/' // admin / test

const manifests = (
  upstream: Upstream,
  extra = '',
) => `${serviceYaml({ name: 'whoami', namespace: 'default', addresses: [upstream.host], port: upstream.port })}---
apiVersion: v1
kind: Secret
metadata: { name: dashboard-users, namespace: default }
data: { users: ${b64(`${APR1}\n`)} }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: auth, namespace: default }
spec: { basicAuth: { secret: dashboard-users } }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: office, namespace: default }
spec: { ipAllowList: { sourceRange: [10.0.0.0/8] } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: traefik-dashboard, namespace: default }
spec:
  routes:
    - match: Host(\`traefik.example.com\`) && (PathPrefix(\`/api\`) || PathPrefix(\`/dashboard\`) || Path(\`/\`))
      kind: Rule
      services: [{ name: api@internal, kind: TraefikService }]
      middlewares: [{ name: auth }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: dash, namespace: default }
spec:
  routes:
    - match: Host(\`dash.example.com\`)
      services: [{ name: dashboard@internal, kind: TraefikService }]
    - match: Host(\`office.example.com\`)
      services: [{ name: dashboard@internal, kind: TraefikService }]
      middlewares: [{ name: office }]
    - match: Host(\`noop.example.com\`)
      services: [{ name: noop@internal, kind: TraefikService }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: default }
spec:
  routes:
    - match: Host(\`app.example.com\`)
      services: [{ name: whoami, port: 80 }]
${extra}`

for (const target of ['workerd', 'cloudflare'] as const) {
  describe(`api@internal and dashboard@internal on workerd, table built for ${target}`, () => {
    let upstream: Upstream
    let edge: TestEdge
    const api = (path: string, authorization?: string) =>
      edge.request(path, { headers: { host: 'traefik.example.com', ...(authorization ? { authorization } : {}) } })

    beforeAll(async () => {
      upstream = await startUpstream({ host: '127.0.0.51', name: 'whoami' })
      edge = await startEdge({ input: { yaml: manifests(upstream) }, target })
    })
    afterAll(async () => {
      await edge?.stop()
      await upstream?.close()
    })

    it("serves Traefik's API behind the route's basicAuth", async () => {
      const denied = await api('/api/rawdata')
      expect([denied.status, denied.headers['www-authenticate']]).toEqual([401, 'Basic realm="traefik"'])
      expect((await api('/api/rawdata', basic('admin', 'wrong'))).status).toBe(401)
      const res = await api('/api/rawdata', basic('admin', 'test'))
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toBe('application/json')
      const raw = JSON.parse(res.body) as {
        routers: Record<string, { status: string; service: string }>
        services: Record<string, { usedBy?: string[]; serverStatus?: Record<string, string> }>
        middlewares: Record<string, { basicAuth?: { users?: string[] } }>
      }
      const dashboardRouter = Object.entries(raw.routers).find(([name]) => name.startsWith('default-traefik-dashboard-'))!
      expect(dashboardRouter[1]).toMatchObject({ status: 'enabled', service: 'api@internal' })
      expect(raw.services['api@internal']!.usedBy).toEqual([dashboardRouter[0]])
      expect(raw.services['dashboard@internal']!.usedBy).toHaveLength(2)
      // The servers' health the edge has, and no secret: the users are said to be set, not shown.
      const app = Object.entries(raw.services).find(([name]) => name.startsWith('default-app-'))![1]
      expect(app.serverStatus).toEqual({ [upstream.url]: 'UP' })
      expect(raw.middlewares['default-auth@kubernetescrd']!.basicAuth!.users).toEqual(['(secret, not shown)'])
      const values = [...(await edge.store.get(await edge.store.list(''))).values()].join('\n')
      for (const secret of [APR1, APR1.split(':')[1]!]) expect(values).not.toContain(secret)
    })

    it("lists, filters and shows one router, as Traefik's API does", async () => {
      const auth = basic('admin', 'test')
      const list = await api('/api/http/routers?serviceName=dashboard@internal', auth)
      expect(list.headers['x-next-page']).toBe('1')
      expect((JSON.parse(list.body) as Array<{ name: string }>).map((r) => r.name.replace(/-[0-9a-f]{20}@/, '-X@'))).toEqual([
        'default-dash-X@kubernetescrd',
        'default-dash-X@kubernetescrd',
      ])
      const one = await api('/api/http/middlewares/default-office@kubernetescrd', auth)
      expect(JSON.parse(one.body)).toMatchObject({ name: 'default-office@kubernetescrd', provider: 'kubernetescrd', type: 'ipallowlist', status: 'enabled' })
      expect((await api('/api/http/routers/nope@kubernetescrd', auth)).status).toBe(404)
    })

    it('serves the dashboard under /dashboard/ of api@internal, and / redirects there', async () => {
      const auth = basic('admin', 'test')
      const root = await api('/', auth)
      expect([root.status, root.headers.location]).toEqual([302, '/dashboard/'])
      const page = await api('/dashboard/', auth)
      expect(page.status).toBe(200)
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(page.body).toContain('<script src="app.js"></script>')
      expect((await api('/dashboard/app.js', auth)).body).toContain("fetch('api/state')")
      const state = JSON.parse((await api('/dashboard/api/state', auth)).body) as { routers: Array<{ name: string; status: string }>; target: string }
      expect(state.target).toBe(target)
      expect(state.routers.some((r) => r.name.startsWith('default-app-') && r.status === 'enabled')).toBe(true)
      // What needs the control plane's builds is said to be there.
      const explain = await edge.request('/dashboard/api/explain', {
        method: 'POST',
        body: '{"url":"http://app.example.com/"}',
        headers: { host: 'traefik.example.com', authorization: auth, 'content-type': 'application/json' },
      })
      expect(explain.status).toBe(501)
      expect((await api('/dashboard', undefined)).status).toBe(401)
    })

    it('serves dashboard@internal at /, behind ipAllowList where the route says so; noop@internal answers 418', async () => {
      const dash = await edge.request('/', { headers: { host: 'dash.example.com' } })
      expect([dash.status, dash.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8'])
      expect((await edge.request('/api/overview', { headers: { host: 'dash.example.com' } })).status).toBe(200)
      expect((await edge.request('/', { headers: { host: 'office.example.com' } })).status).toBe(403)
      expect((await edge.request('/', { headers: { host: 'noop.example.com' } })).status).toBe(418)
    })

    it('follows a new table: a new route shows up in the API', async () => {
      const extra = `---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: broken, namespace: default }
spec:
  routes:
    - match: Host(\`b.example.com\`) && Pathh(\`/x\`)
      services: [{ name: whoami, port: 80 }]
`
      const { problems } = await edge.apply({ yaml: manifests(upstream, extra) })
      expect(problems.some((p) => p.includes('unsupported function: Pathh'))).toBe(true)
      const res = await api('/api/http/routers?status=disabled', basic('admin', 'test'))
      const disabled = JSON.parse(res.body) as Array<{ name: string; error: string[] }>
      expect(disabled).toHaveLength(1)
      expect(disabled[0]!.name).toMatch(/^default-broken-[0-9a-f]{20}@kubernetescrd$/)
      expect(disabled[0]!.error[0]).toMatch(/^error while parsing rule Host\(`b\.example\.com`\) && Pathh\(`\/x`\): .*unsupported function: Pathh/)
    })
  })
}
