/**
 * Entry points as Traefik users write them, served as the deployed Worker serves them: one worker
 * for both schemes, `web` for http and `websecure` for https (wrangler.toml's ENTRYPOINT_BY_SCHEME,
 * read from the shipped file), the table built with the controller's default entry points for the
 * Cloudflare target, the pods reached through the tunnel binding. An unchanged manifest pair (a
 * websecure route with `tls`, a web route that redirects to https) serves https and redirects http.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { experimental_readRawConfig } from 'wrangler'
import { parseControllerArgs } from '../../control-plane/cli/controller.ts'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { buildEdgeInput, leafCert, send, startEdge, startUpstream, testCa, serviceYaml, type Echo, type TestEdge, type Upstream } from '../support/index.ts'

const MANIFESTS = (pod: Upstream) => `${serviceYaml({ name: 'app', namespace: 'shop', addresses: [pod.host], port: pod.port })}---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: to-https, namespace: shop }
spec: { redirectScheme: { scheme: https, permanent: true } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app-secure, namespace: shop }
spec:
  entryPoints: [websecure]
  routes: [{ match: Host(\`app.example\`), services: [{ name: app, port: 80 }] }]
  tls: {}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app-web, namespace: shop }
spec:
  entryPoints: [web]
  routes: [{ match: Host(\`app.example\`), middlewares: [{ name: to-https }], services: [{ name: app, port: 80 }] }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: only-secure, namespace: shop }
spec:
  entryPoints: [websecure]
  routes: [{ match: Host(\`secure-only.example\`), services: [{ name: app, port: 80 }] }]
  tls: {}
`

let pod: Upstream
let edge: TestEdge
let problems: string[]

beforeAll(async () => {
  pod = await startUpstream({ host: '127.0.0.51', name: 'pod' })
  const { rawConfig } = experimental_readRawConfig({ config: join(REPO_ROOT, 'wrangler.toml') })
  const shippedVars = rawConfig.vars as Record<string, string>
  const { entryPoints, target } = parseControllerArgs(['--sink', 'cloudflare'], {})
  const built = buildEdgeInput({ yaml: MANIFESTS(pod) }, { target, entryPoint: entryPoints[0], entryPoints })
  problems = built.problems
  const cert = leafCert({ dns: ['app.example', 'secure-only.example'] })
  edge = await startEdge({
    input: { table: built.table },
    target,
    vars: shippedVars,
    entryPoints: [
      { name: 'web', byScheme: true },
      { name: 'websecure', byScheme: true, tls: { certificateChain: cert.cert, privateKey: cert.key } },
    ],
  })
})

afterAll(async () => {
  await edge?.stop()
  await pod?.close()
})

describe('web and websecure by scheme, as shipped', () => {
  it('publishes both entry points by default and reports nothing for either', () => {
    expect(parseControllerArgs([], {}).entryPoints).toEqual(['web', 'websecure'])
    expect(problems.filter((p) => /entryPoints|none of/.test(p))).toEqual([])
  })

  it('serves an https request to a websecure route with tls, through the tunnel to the pod', async () => {
    const res = await send(`${edge.url('websecure')}/cart?id=1`, { headers: { host: 'app.example' }, ca: testCa().cert })
    expect(res.status, res.body).toBe(200)
    const echo = JSON.parse(res.body) as Echo
    expect(echo.server).toBe('pod')
    expect(echo.url).toBe('/cart?id=1')
    expect(echo.headers.host).toBe('app.example')
    expect(echo.headers['x-forwarded-proto']).toBe('https')
  })

  it('redirects http on web to https (redirectScheme), and the redirect is served', async () => {
    const res = await send(`${edge.url('web')}/cart?id=1`, { headers: { host: 'app.example' } })
    expect(res.status).toBe(301)
    expect(res.headers.location).toBe('https://app.example/cart?id=1')
    const followed = await send(`${edge.url('websecure')}${new URL(res.headers.location!).pathname}?id=1`, {
      headers: { host: 'app.example' },
      ca: testCa().cert,
    })
    expect(followed.status).toBe(200)
  })

  it('keeps websecure routes off plain http (404) and web routes off https', async () => {
    expect((await send(`${edge.url('web')}/`, { headers: { host: 'secure-only.example' } })).status).toBe(404)
    expect((await send(`${edge.url('websecure')}/`, { headers: { host: 'secure-only.example' }, ca: testCa().cert })).status).toBe(200)
  })
})
