/**
 * Explain agrees with the edge: for generated requests over generated manifests, the router
 * explain names is the one whose upstream a real workerd edge proxies to (each router has its
 * own Service and upstream server), and "no router matched" is the edge's 404.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceYaml, startEdge, startUpstream, type Echo, type TestEdge, type Upstream } from '../support/index.ts'
import { runCli } from '../support/cli.ts'
import { explainRequest, type Explanation, type ServiceSummary } from '../../control-plane/explain/explain.ts'
import { inspectManifests, routingView, storedParts } from '../../control-plane/explain/inspect.ts'

interface Route {
  match: string
  entryPoints?: string[]
  priority?: number
  middlewares?: string[]
}

const ROUTES: Route[] = [
  { match: 'Host(`a.example`)' },
  { match: 'Host(`a.example`) && PathPrefix(`/api`)' },
  { match: 'Host(`a.example`) && PathPrefix(`/api`) && Method(`POST`)' },
  { match: 'Host(`a.example`) && Path(`/admin`)', entryPoints: ['admin'] },
  { match: 'HostRegexp(`^[a-z]+\\.b\\.example$`)' },
  { match: 'Host(`b.example`) || Host(`c.example`)', entryPoints: ['web'] },
  { match: 'PathPrefix(`/static`) && !Method(`DELETE`)', priority: 100 },
  { match: 'Header(`X-Env`, `dev`)', priority: 200 },
  { match: 'Query(`debug`)', priority: 150 },
  { match: 'PathRegexp(`^/a b$`)' },
  { match: 'ClientIP(`10.0.0.0/8`)', priority: 300 },
  { match: 'ClientIP(`127.0.0.1`) && Path(`/whoami`)' },
  { match: 'Header(`X-Forwarded-Proto`, `http`) && Path(`/proto`)' },
  { match: 'Host(`c.example`) && PathPrefix(`/api`)', middlewares: ['strip'] },
  { match: 'PathPrefix(`/`)', priority: 1, entryPoints: ['admin'] },
]

let dir: string
let edge: TestEdge
const upstreams: Upstream[] = []

function manifests(): string {
  const docs = [
    `apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: strip, namespace: demo }
spec: { stripPrefix: { prefixes: [/api] } }
`,
  ]
  ROUTES.forEach((r, i) => {
    docs.push(serviceYaml({ name: `svc${i}`, addresses: ['127.0.0.1'], port: upstreams[i]!.port }))
    docs.push(`apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: r${i}, namespace: demo }
spec:
${r.entryPoints ? `  entryPoints: [${r.entryPoints.join(', ')}]\n` : ''}  routes:
    - match: ${JSON.stringify(r.match)}
${r.priority ? `      priority: ${r.priority}\n` : ''}${r.middlewares ? `      middlewares: [${r.middlewares.map((m) => `{ name: ${m} }`).join(', ')}]\n` : ''}      services: [{ name: svc${i}, port: 80 }]
`)
  })
  return docs.join('---\n')
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Probe {
  entryPoint: 'web' | 'admin'
  host: string
  path: string
  method: string
  headers: Record<string, string>
}

function probes(count: number): Probe[] {
  const next = rng(8)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!
  const out: Probe[] = []
  for (let i = 0; i < count; i++) {
    const headers: Record<string, string> = {}
    if (next() < 0.2) headers['x-env'] = pick(['dev', 'prod'])
    if (next() < 0.1) headers['x-forwarded-proto'] = 'https'
    out.push({
      entryPoint: next() < 0.75 ? 'web' : 'admin',
      host: pick(['a.example', 'A.Example:8080', 'b.example', 'c.example', 'x.b.example', 'b.example.', 'nowhere.test']),
      path: pick(['/', '/api', '/api/v1', '/admin', '/static/x.css', '/a%20b', '/whoami', '/proto', '/x?debug', '/x?debug=1', '/api?v=1']),
      method: pick(['GET', 'GET', 'POST', 'DELETE']),
      headers,
    })
  }
  return out
}

beforeAll(async () => {
  for (let i = 0; i < ROUTES.length; i++) upstreams.push(await startUpstream({ name: `svc${i}` }))
  dir = await mkdtemp(join(tmpdir(), 'explain-agreement-'))
  const yaml = manifests()
  await writeFile(join(dir, 'routes.yaml'), yaml)
  edge = await startEdge({ input: { yaml }, entryPoints: ['web', 'admin'] })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all(upstreams.map((u) => u.close()))
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('explain agrees with the edge', () => {
  it('names the router whose upstream the edge proxies to, or 404 when the edge answers 404', async () => {
    const inspection = await inspectManifests([dir], { entryPoints: ['web', 'admin'] })
    expect(inspection.built.problems).toEqual([])
    const parts = storedParts(inspection.built)
    const view = routingView(inspection.built)
    const seen = new Set<string>()
    for (const p of probes(160)) {
      const url = `http://127.0.0.1${p.path}`
      const e: Explanation = explainRequest(parts, view, {
        url,
        method: p.method,
        headers: [['host', p.host], ...Object.entries(p.headers)],
        clientIp: '127.0.0.1',
        entryPoint: p.entryPoint,
      })
      const res = await edge.request(p.path, { method: p.method, headers: { host: p.host, ...p.headers }, entryPoint: p.entryPoint })
      const what = `${p.entryPoint} ${p.method} ${p.host}${p.path} ${JSON.stringify(p.headers)}`
      if (res.status === 404) {
        expect(e.outcome, `${what}: ${e.summary}`).toBe('no-match')
        expect(e.notMatched.every((m) => m.failed.length > 0)).toBe(true)
        seen.add('404')
        continue
      }
      expect(res.status, `${what}: ${res.body}`).toBe(200)
      const served = (JSON.parse(res.body) as Echo).server
      expect(e.outcome, `${what}: ${e.summary}`).toBe('matched')
      const index = Number(served.slice(3))
      expect(e.router?.name.startsWith(`demo-r${index}-`), `${what}: ${e.router?.name}`).toBe(true)
      expect(e.router?.service.servers, what).toEqual([upstreams[index]!.url])
      // Everything explained before the chosen router really failed, with a clause to show.
      expect(e.notMatched.every((m) => m.failed.length > 0 && m.priority >= e.router!.priority)).toBe(true)
      seen.add(served)
    }
    // The generated requests reach most routers and the 404, so the comparison is not vacuous.
    expect(seen.size).toBeGreaterThanOrEqual(12)
    expect(seen.has('404')).toBe(true)
  })

  it('says the same as a process (npm run explain) and exits 0 / 2', async () => {
    const cli = (args: string[]) => runCli(join(import.meta.dirname, '../../control-plane/cli/explain.ts'), ['--manifests', dir, ...args])
    const res = await edge.request('/api/v1', { headers: { host: 'a.example' } })
    const served = (JSON.parse(res.body) as Echo).server
    const matched = await cli(['--url', 'http://a.example/api/v1'])
    expect(matched.code).toBe(0)
    expect(matched.stdout.split('\n')[0]).toMatch(
      new RegExp(`^router: demo-r${served.slice(3)}-[0-9a-f]{20}  rule: Host\\(\`a.example\`\\) && PathPrefix\\(\`/api\`\\)$`),
    )
    const missing = await cli(['--url', 'http://nowhere.test/', '--entrypoint', 'web', '--json'])
    expect(missing.code).toBe(2)
    expect((await edge.request('/', { headers: { host: 'nowhere.test' } })).status).toBe(404)
    expect((JSON.parse(missing.stdout) as Explanation).outcome).toBe('no-match')
  })
})

describe('explain agrees with the edge on examples/', () => {
  const names = ['whoami-v1', 'whoami-v2', 'api'] as const
  const ups: Upstream[] = []
  let examplesDir: string
  let examplesEdge: TestEdge

  beforeAll(async () => {
    for (const name of names) ups.push(await startUpstream({ name }))
    const root = join(import.meta.dirname, '../../examples')
    const files = (await readdir(root)).filter((f) => f.endsWith('.yaml')).sort()
    // examples/ with its pods moved to this test's upstreams (whoami-v1, whoami-v2, api, in file order).
    const ports = [ups[0]!.port, ups[1]!.port]
    const text = (await Promise.all(files.map((f) => readFile(join(root, f), 'utf8'))))
      .map((t) =>
        t
          .replace(/"127\.0\.0\.1[1-4]"/g, '"127.0.0.1"')
          .replace(/port: 18081/g, () => `port: ${ports.shift()}`)
          .replace(/port: 18082/g, `port: ${ups[2]!.port}`),
      )
      .join('\n---\n')
    examplesDir = await mkdtemp(join(tmpdir(), 'explain-examples-'))
    await writeFile(join(examplesDir, 'examples.yaml'), text)
    examplesEdge = await startEdge({ input: { yaml: text } })
  })

  afterAll(async () => {
    await examplesEdge?.stop()
    await Promise.all(ups.map((u) => u.close()))
    if (examplesDir) await rm(examplesDir, { recursive: true, force: true })
  })

  const servers = (s: ServiceSummary): string[] => [...(s.servers ?? []), ...(s.children ?? []).flatMap(servers)]

  it('names a router whose servers include the one that answered, and 404 when none matches', async () => {
    const inspection = await inspectManifests([examplesDir])
    const parts = storedParts(inspection.built)
    const view = routingView(inspection.built)
    const next = rng(3)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!
    const seen = new Set<string>()
    for (let i = 0; i < 40; i++) {
      const host = pick(['demo.localhost', 'canary.localhost', 'DEMO.localhost:8787', 'nowhere.localhost'])
      const path = pick(['/', '/api', '/api/users', '/apix', '/docs?x=1'])
      const e = explainRequest(parts, view, { url: `http://127.0.0.1${path}`, headers: [['host', host]] })
      const res = await examplesEdge.request(path, { headers: { host } })
      if (res.status === 404) {
        expect(e.outcome, `${host}${path}`).toBe('no-match')
        seen.add('404')
        continue
      }
      expect(res.status, `${host}${path}: ${res.body}`).toBe(200)
      const served = ups.find((u) => u.name === (JSON.parse(res.body) as Echo).server)!
      expect(e.outcome, `${host}${path}`).toBe('matched')
      expect(servers(e.router!.service), `${host}${path}`).toContain(served.url)
      seen.add(`${e.router!.name} ${served.name}`)
    }
    // Both demo routers, the canary (v1 and v2) and the 404.
    expect(seen.size).toBeGreaterThanOrEqual(5)
  })
})
