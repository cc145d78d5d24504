// `npm run edge` as a user runs it (a spawned npm process, real YAML): an ExternalName service
// with Traefik's healthCheck is checked by the control plane, so a real upstream killed and
// revived on the same port leaves and rejoins within the interval's reach; with --access-log and
// --metrics-port the same process writes access-log lines and serves Prometheus metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { send } from '../support/http.ts'
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
`

describe('npm run edge with health checks and observability', () => {
  let dir: string
  let upstream: Upstream
  let port: number
  let npm: ChildProcess
  let url: string
  let metricsUrl: string
  let stderr = ''

  const up = (p = 0) => startUpstream({ host: HOST, port: p, name: 'ext' })
  const until = async (want: number) => {
    const deadline = Date.now() + FOLLOW_MS
    for (;;) {
      const res = await send(`${url}/`, { headers: { host: 'app.test' } })
      if (res.status === want) return res
      if (Date.now() > deadline) throw new Error(`still ${res.status}, not ${want}:\n${stderr}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-health-cli-'))
    upstream = await up()
    port = upstream.port
    await writeFile(join(dir, 'app.yaml'), manifests(port))
    npm = spawn(
      'npm',
      ['run', '--silent', 'edge', '--', '--manifests', join(dir, 'app.yaml'), '--port', '0', '--allow-external-name-services',
        '--access-log', '--metrics-port', '0', '--persist-to', join(dir, 'kv'), '--state-dir', join(dir, 'state')],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    npm.stderr!.on('data', (c: Buffer) => (stderr += c))
    url = await new Promise<string>((resolve, reject) => {
      npm.stdout!.on('data', (c: Buffer) => {
        stdout += c
        const m = /^ready (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(stdout)
        if (m) resolve(m[1]!)
      })
      npm.once('exit', (code) => reject(new Error(`npm run edge exited ${code}:\n${stderr}`)))
      setTimeout(() => reject(new Error(`no ready line:\n${stderr}`)), 60_000).unref()
    })
    metricsUrl = /^metrics at (\S+)$/m.exec(stderr)![1]!
  })
  afterAll(async () => {
    if (npm?.exitCode === null) {
      const exited = new Promise((r) => npm.once('exit', r))
      npm.kill('SIGTERM')
      await exited
    }
    await upstream?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('a killed upstream leaves (503) and, revived on the same port, serves again', async () => {
    expect((await until(200)).body).toContain('"server":"ext"')
    await upstream.close()
    const down = await until(503)
    expect(down.body).toBe('no available server\n')
    expect(stderr).toMatch(new RegExp(`health check: service \\S+ server http://${HOST.replaceAll('.', '\\.')}:${port}: down`))
    upstream = await up(port)
    await until(200)
    expect(stderr).toMatch(new RegExp(`server http://${HOST.replaceAll('.', '\\.')}:${port}: up`))
  })

  it('writes access-log lines and serves metrics on its own port', async () => {
    await send(`${url}/logged?x=1`, { headers: { host: 'app.test' } })
    const deadline = Date.now() + FOLLOW_MS
    while (!stderr.includes('"RequestPath":"/logged?x=1"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    const line = stderr.split('\n').find((l) => l.includes('"RequestPath":"/logged?x=1"'))!
    expect(JSON.parse(line.slice(line.indexOf('{')))).toMatchObject({ RouterName: expect.stringContaining('app'), DownstreamStatus: 200, entryPointName: 'web' })
    const metrics = await send(metricsUrl)
    expect(metrics.status).toBe(200)
    expect(metrics.body).toMatch(/^traefik_entrypoint_requests_total\{code="503",method="GET",protocol="http",entrypoint="web"\} \d+$/m)
    expect(metrics.body).toMatch(/^traefik_service_requests_total\{code="200",method="GET",protocol="http",service="[^"]+"\} \d+$/m)
  })
})
