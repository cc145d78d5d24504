// `npm run edge` as a user runs it (a spawned npm process, real YAML): an ExternalName service
// with Traefik's healthCheck is checked by the control plane, so a real upstream killed and
// revived on the same port leaves and rejoins within the interval's reach; with --access-log and
// --metrics-port the same process writes access-log lines and serves Prometheus metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { send } from '../support/http.ts'
import { spawnNpmEdge, type NpmEdge } from '../support/npm-edge.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

const HOST = '127.0.0.23'
/** interval 300ms + timeout + publish + the worker's 250 ms refresh, with slack for busy cores. */
const FOLLOW_MS = 8000

const manifests = (port: number) => `apiVersion: v1
kind: Service
metadata: { name: ext, namespace: demo }
spec: { type: ExternalName, externalName: ${HOST}, ports: [{ name: http, port: ${port} }] }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: demo }
spec:
  entryPoints: [web]
  routes:
    - match: Host(\`app.test\`)
      services:
        - name: ext
          port: ${port}
          healthCheck: { path: /health, interval: 300ms, timeout: 500ms }
    - match: Host(\`api.test\`)
      services: [{ name: api@internal, kind: TraefikService }]
`

describe('npm run edge with health checks and observability', () => {
  let dir: string
  let upstream: Upstream
  let port: number
  let edge: NpmEdge
  let url: string
  let metricsUrl: string

  const up = (p = 0) => startUpstream({ host: HOST, port: p, name: 'ext' })
  const until = async (want: number) => {
    const deadline = Date.now() + FOLLOW_MS
    for (;;) {
      const res = await send(`${url}/`, { headers: { host: 'app.test' } })
      if (res.status === want) return res
      if (Date.now() > deadline) throw new Error(`still ${res.status}, not ${want}:\n${edge.stderr()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-health-cli-'))
    upstream = await up()
    port = upstream.port
    await writeFile(join(dir, 'app.yaml'), manifests(port))
    edge = await spawnNpmEdge([
      '--manifests',
      join(dir, 'app.yaml'),
      '--port',
      '0',
      '--allow-external-name-services',
      '--access-log',
      '--metrics-port',
      '0',
      '--persist-to',
      join(dir, 'kv'),
      '--state-dir',
      join(dir, 'state'),
    ])
    url = edge.url
    // Written to stderr before the ready line, but the two pipes are read apart.
    while (!/^metrics at \S+$/m.test(edge.stderr())) await new Promise((r) => setTimeout(r, 20))
    metricsUrl = /^metrics at (\S+)$/m.exec(edge.stderr())![1]!
  })
  afterAll(async () => {
    await edge?.stop()
    await upstream?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('a killed upstream leaves (503) and, revived on the same port, serves again', async () => {
    expect((await until(200)).body).toContain('"server":"ext"')
    await upstream.close()
    const down = await until(503)
    expect(down.body).toBe('no available server\n')
    expect(edge.stderr()).toMatch(new RegExp(`health check: service \\S+ server http://${HOST.replaceAll('.', '\\.')}:${port}: down`))
    // Traefik's serverStatus says it, on the dashboard's URL and through api@internal at the edge.
    const dashboard = /^dashboard at (\S+)$/m.exec(edge.stderr())![1]!
    const serverStatus = async (base: string, headers = {}) =>
      (JSON.parse((await send(`${base}api/http/services?search=demo-app`, { headers })).body) as Array<{ serverStatus?: Record<string, string> }>)[0]
        ?.serverStatus
    expect(await serverStatus(dashboard)).toEqual({ [`http://${HOST}:${port}`]: 'DOWN' })
    expect(await serverStatus(`${url}/`, { host: 'api.test' })).toEqual({ [`http://${HOST}:${port}`]: 'DOWN' })
    upstream = await up(port)
    await until(200)
    expect(await serverStatus(`${url}/`, { host: 'api.test' })).toEqual({ [`http://${HOST}:${port}`]: 'UP' })
    expect(edge.stderr()).toMatch(new RegExp(`server http://${HOST.replaceAll('.', '\\.')}:${port}: up`))
  })

  it('writes access-log lines and serves metrics on its own port', async () => {
    await send(`${url}/logged?x=1`, { headers: { host: 'app.test' } })
    const deadline = Date.now() + FOLLOW_MS
    while (!edge.stderr().includes('"RequestPath":"/logged?x=1"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const line = edge
      .stderr()
      .split('\n')
      .find((l) => l.includes('"RequestPath":"/logged?x=1"'))!
    expect(JSON.parse(line.slice(line.indexOf('{')))).toMatchObject({
      RouterName: expect.stringContaining('app'),
      DownstreamStatus: 200,
      entryPointName: 'web',
    })
    const metrics = await send(metricsUrl)
    expect(metrics.status).toBe(200)
    expect(metrics.body).toMatch(/^traefik_entrypoint_requests_total\{code="503",method="GET",protocol="http",entrypoint="web"\} \d+$/m)
    expect(metrics.body).toMatch(/^traefik_service_requests_total\{code="200",method="GET",protocol="http",service="[^"]+"\} \d+$/m)
  })
})
