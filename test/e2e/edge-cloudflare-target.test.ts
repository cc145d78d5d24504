/**
 * A table built for Cloudflare, served by the same worker on workerd, its pod addresses reached
 * through the cluster's tunnel: the TUNNEL_BINDING (Workers VPC Network) bound to the local
 * stand-in, which does what cloudflared does (connects to the URL's address, sends the Host it was
 * given). The pods are real HTTP servers on loopback addresses, listed by EndpointSlices as a
 * cluster lists them. Routing, WRR, sticky cookies, health, mirroring, failover and retries run as
 * on workerd; the upstream sees the client's Host (passHostHeader) and the compile-time diagnostics
 * report no unreachable server. With the tunnel off (`--tunnel off`), the same addresses are
 * reported (error 1003) and reached with fetch(), which on workerd sends the URL's host.
 */
import { gunzipSync } from 'node:zlib'
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EndpointsTable } from '../../shared/table/schema.ts'
import { buildEdgeInput, startEdge, startUpstream, testCa, type Echo, type TestEdge, type Upstream } from '../support/index.ts'
import type { EdgeTableInput } from '../../shared/kv/pack-table.ts'

const pods: Record<string, Upstream> = {}
let edge: TestEdge
let problems: string[] = []
let shopTable: EdgeTableInput

/** A Service whose EndpointSlice lists these pods (loopback addresses as pod IPs) on their port. */
function service(name: string, podNames: string[], extra = ''): string {
  const port = pods[podNames[0]!]!.port
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop }
spec: { ports: [{ name: http, port: 80 }]${extra} }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: shop, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: http, port: ${port} }]
endpoints: [${podNames.map((p) => `{ addresses: [${pods[p]!.host}], conditions: { ready: true } }`).join(', ')}]
`
}

function manifests(): string {
  return [
    service('web', ['a', 'b']),
    service('solo', ['c']),
    service('flaky', ['a', 'dead']),
    service('down', ['failing']),
    `apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: { name: canary, namespace: shop }
spec:
  weighted:
    services: [{ name: web, port: 80, weight: 3 }, { name: solo, port: 80, weight: 1 }]
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: { name: mirrored, namespace: shop }
spec:
  mirroring: { name: solo, port: 80, mirrors: [{ name: web, port: 80, percent: 100 }] }
---
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: { name: failover, namespace: shop }
spec:
  failover: { service: { name: down, port: 80 }, fallback: { name: solo, port: 80 }, errors: { status: ["500-599"] } }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: retry, namespace: shop }
spec: { retry: { attempts: 3 } }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: gzip, namespace: shop }
spec: { compress: { minResponseBodyBytes: 10 } }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: shop, namespace: shop }
spec:
  entryPoints: [web]
  routes:
    - { match: Host(\`shop.example\`), services: [{ name: web, port: 80 }] }
    - { match: Host(\`sticky.example\`), services: [{ name: web, port: 80, sticky: { cookie: { name: pod, httpOnly: true } } }] }
    - { match: Host(\`canary.example\`), services: [{ name: canary, kind: TraefikService }] }
    - { match: Host(\`mirror.example\`), services: [{ name: mirrored, kind: TraefikService }] }
    - { match: Host(\`failover.example\`), services: [{ name: failover, kind: TraefikService }] }
    - { match: Host(\`retry.example\`), middlewares: [{ name: retry }], services: [{ name: flaky, port: 80 }] }
    - { match: Host(\`gzip.example\`), middlewares: [{ name: gzip }], services: [{ name: solo, port: 80 }] }
`,
  ].join('---\n')
}

beforeAll(async () => {
  // Pods of a Service listen on one port, each on its own address.
  const a = await startUpstream({ host: '127.0.0.41', name: 'a' })
  const [b, c, failing] = await Promise.all([
    startUpstream({ host: '127.0.0.42', port: a.port, name: 'b' }),
    startUpstream({ host: '127.0.0.43', port: a.port, name: 'c' }),
    startUpstream({ host: '127.0.0.44', port: a.port, name: 'failing', handler: (_req, res) => void res.writeHead(503).end('down') }),
  ])
  // A pod that is listed but not listening: same port as `a`, an address nothing listens on.
  const dead = { host: '127.0.0.45', port: a.port, name: 'dead' } as Upstream
  Object.assign(pods, { a, b, c, failing, dead })
  const built = buildEdgeInput({ yaml: manifests() }, { target: 'cloudflare' })
  problems = built.problems
  shopTable = built.table as EdgeTableInput
  edge = await startEdge({ input: { table: built.table }, target: 'cloudflare', entryPoints: [{ name: 'web', cfBlobHeader: 'cf-blob' }] })
})

afterAll(async () => {
  if (process.env.DEBUG_EDGE) console.log(edge?.logs.join('\n'))
  await edge?.stop()
  await Promise.all(['a', 'b', 'c', 'failing'].map((n) => pods[n]?.close()))
})

const echo = (body: string) => JSON.parse(body) as Echo

async function pod(host: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await edge.request('/', { headers: { host, ...headers } })
  expect(res.status, res.body).toBe(200)
  return echo(res.body).server
}

describe('a Cloudflare-target table over the tunnel binding', () => {
  it('marks the pod addresses for the tunnel and reports nothing unreachable', () => {
    expect(problems.filter((p) => /1003|unreachable|passHostHeader/.test(p))).toEqual([])
    const endpoints = (buildEdgeInput({ yaml: manifests() }, { target: 'cloudflare' }).table.endpoints as EndpointsTable).services
    const servers = Object.values(endpoints).flatMap((s) => s.servers)
    expect(servers.length).toBeGreaterThan(0)
    expect(servers.every((s) => s.tunnel === 'header')).toBe(true)
  })

  it("reaches the pods through the binding with the Host Traefik sends: the client's (passHostHeader)", async () => {
    // On Cloudflare the client's address comes in CF-Connecting-IP.
    const res = await edge.request('/cart?id=1', { headers: { host: 'shop.example', 'cf-connecting-ip': '203.0.113.9' } })
    expect(res.status).toBe(200)
    const got = echo(res.body)
    expect(got.url).toBe('/cart?id=1')
    // Global fetch() on workerd would have sent the URL's host (127.0.0.41:PORT): this went through the tunnel.
    expect(got.headers.host).toBe('shop.example')
    expect(got.headers['x-forwarded-host']).toBe('shop.example')
    expect(got.headers['x-forwarded-for']).toBe('203.0.113.9')
  })

  it('balances over the pods (round robin) and keeps sticky clients on theirs', async () => {
    const seen = [await pod('shop.example'), await pod('shop.example'), await pod('shop.example'), await pod('shop.example')]
    expect(seen.slice(0, 2).sort()).toEqual(['a', 'b'])
    expect(seen.slice(2).sort()).toEqual(['a', 'b'])
    const first = await edge.request('/', { headers: { host: 'sticky.example' } })
    const cookie = String(first.headers['set-cookie']).split(';')[0]!
    expect(cookie).toMatch(/^pod=[0-9a-f]{16}$/)
    for (let i = 0; i < 3; i++) expect(await pod('sticky.example', { cookie })).toBe(echo(first.body).server)
  })

  it('weights TraefikService children as Traefik does (3 to 1)', async () => {
    const picks: string[] = []
    for (let i = 0; i < 8; i++) picks.push(await pod('canary.example'))
    expect(picks.filter((p) => p === 'c')).toHaveLength(2)
  })

  it('mirrors to the other pods, fails over on an error status, retries a pod that cannot be reached', async () => {
    const before = pods.a!.requests.length + pods.b!.requests.length
    expect(await pod('mirror.example')).toBe('c')
    const deadline = Date.now() + 3000
    while (pods.a!.requests.length + pods.b!.requests.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(pods.a!.requests.length + pods.b!.requests.length).toBe(before + 1)

    const failing = pods.failing!.requests.length
    expect(await pod('failover.example')).toBe('c')
    expect(pods.failing!.requests.length).toBe(failing + 1)

    // `dead` refuses connections: the binding throws, the edge answers it as not sent, retry tries `a`.
    for (let i = 0; i < 4; i++) expect(await pod('retry.example')).toBe('a')
  })

  it('skips pods the endpoints table marks down (health), as a health checker publishes them', async () => {
    const lb = { loadBalancer: { servers: [{ url: pods.a!.url }, { url: pods.b!.url }], passHostHeader: true, healthCheck: { path: '/health' } } }
    const built = buildEdgeInput(
      { config: { http: { routers: { r: { rule: 'Host(`health.example`)', service: 'checked' } }, services: { checked: lb } } } },
      { target: 'cloudflare' },
    )
    const endpoints = built.table.endpoints as EndpointsTable
    expect(endpoints.services.checked!.servers.map((s) => s.tunnel)).toEqual(['header', 'header'])
    endpoints.services.checked!.servers[1]!.up = false
    await edge.publish(built.table as EdgeTableInput)
    const picks: string[] = []
    for (let i = 0; i < 4; i++) picks.push(await pod('health.example'))
    expect(picks).toEqual(['a', 'a', 'a', 'a'])
    await edge.publish(shopTable)
  })

  it("compresses against the client's Accept-Encoding, which Cloudflare keeps in request.cf.clientAcceptEncoding", async () => {
    const raw = (cf: object, acceptEncoding: string) =>
      new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        const req = httpRequest(
          `${edge.url()}/`,
          { headers: { host: 'gzip.example', 'accept-encoding': acceptEncoding, 'cf-blob': JSON.stringify(cf) }, agent: false },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c: Buffer) => chunks.push(c))
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
          },
        )
        req.on('error', reject)
        req.end()
      })
    // Cloudflare hands the worker its own list; the client asked for gzip.
    const gz = await raw({ clientAcceptEncoding: 'gzip' }, 'identity')
    expect(gz.encoding).toBe('gzip')
    expect(echo(gunzipSync(gz.body).toString('utf8')).server).toBe('c')
    // The client asked for none: nothing compressed, whatever the rewritten header says.
    const plain = await raw({ clientAcceptEncoding: 'identity' }, 'gzip')
    expect(plain.encoding).toBeUndefined()
    expect(echo(plain.body.toString('utf8')).server).toBe('c')
  })
})

describe('a Cloudflare-target table with the tunnel off', () => {
  let off: TestEdge
  afterAll(async () => off?.stop())

  it("reports pod addresses as unreachable (error 1003) and reaches them with fetch(), which sends the URL's host", async () => {
    const built = buildEdgeInput({ yaml: manifests() }, { target: 'cloudflare', tunnel: { mode: 'off', host: 'header' } })
    // Said of the Service the load balancer comes from (the words of npm run compile: docs/api.md).
    expect(built.problems.join('\n')).toMatch(/^Service shop\/web: spec\.ports\[0\]: Cloudflare refuses fetches to IP addresses \(error 1003\)/m)
    off = await startEdge({ input: { table: built.table }, target: 'cloudflare' })
    const res = await off.request('/', { headers: { host: 'shop.example' } })
    expect(res.status).toBe(200)
    expect(echo(res.body).headers.host).toMatch(/^127\.0\.0\.4[12]:\d+$/)
  })

  it("`--tunnel-host url`: through the tunnel without a Host header (the binding writes the URL's), reported for passHostHeader", async () => {
    const built = buildEdgeInput({ yaml: manifests() }, { target: 'cloudflare', tunnel: { mode: 'private', host: 'url' } })
    expect(built.problems.join('\n')).toMatch(/^Service shop\/web: spec\.ports\[0\]: the tunnel is set to carry the URL's host/m)
    await off.publish(built.table)
    const res = await off.request('/', { headers: { host: 'shop.example' } })
    expect(echo(res.body).headers.host).toMatch(/^127\.0\.0\.4[12]:\d+$/)
    expect(echo(res.body).headers['x-forwarded-host']).toBe('shop.example')
  })

  it('still reports what Cloudflare cannot do for a public upstream: custom CAs', () => {
    const built = buildEdgeInput(
      {
        config: {
          http: {
            routers: { r: { rule: 'Host(`x.example`)', service: 's' } },
            services: { s: { loadBalancer: { servers: [{ url: 'https://origin.example.com' }], passHostHeader: true, serversTransport: 'private' } } },
            serversTransports: { private: { rootCAs: [testCa().cert] } },
          },
        },
      },
      { target: 'cloudflare' },
    )
    const text = built.problems.join('\n')
    expect(text).toMatch(/private.*rootCAs.*public CAs only/)
    expect(text).toMatch(
      /s: loadBalancer.passHostHeader: Cloudflare sends the client's Host to a public upstream only when both are in one of the worker's zones/,
    )
  })
})
