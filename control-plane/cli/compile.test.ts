/**
 * The compile command as users run it: a real process on real YAML in a temp folder.
 */

import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CLI = join(import.meta.dirname, 'compile.ts')

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const MANIFESTS = `
apiVersion: v1
kind: Service
metadata: {name: whoami, namespace: default}
spec:
  ports: [{name: web, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: whoami-1
  namespace: default
  labels: {kubernetes.io/service-name: whoami}
ports: [{name: web, port: 8080}]
endpoints:
  - addresses: [10.0.0.1]
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: test.route, namespace: default}
spec:
  entryPoints: [web]
  routes:
    - match: Host(\`foo.com\`) && PathPrefix(\`/bar\`)
      services: [{name: whoami, port: 80}]
    - match: Host(\`ext.com\`)
      services: [{name: ext, port: 443}]
    - match: Host(\`other.com\`)
      services: [{name: whoami, port: 80, namespace: other}]
`

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'compile-cli-'))
  await writeFile(join(dir, 'app.yaml'), MANIFESTS)
  await writeFile(join(dir, 'broken.yaml'), 'kind: Service\nmetadata: {name: [\n')
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('npm run compile', () => {
  it('prints the configuration on stdout and one line per problem on stderr', async () => {
    const r = await run([join(dir, 'app.yaml')])
    expect(r.code).toBe(0)
    const config = JSON.parse(r.stdout)
    const router = config.http.routers['default-test-route-6b204d94623b3df4370c']
    expect(router).toEqual({
      entryPoints: ['web'],
      service: 'default-test-route-6b204d94623b3df4370c',
      rule: 'Host(`foo.com`) && PathPrefix(`/bar`)',
    })
    expect(config.http.services['default-test-route-6b204d94623b3df4370c'].loadBalancer).toEqual({
      servers: [{ url: 'http://10.0.0.1:8080' }],
      strategy: 'wrr',
      passHostHeader: true,
      responseForwarding: { flushInterval: '100000000ns' },
    })
    const lines = r.stderr.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^IngressRoute default\/test\.route: spec\.routes\[1\]\.services\[0\]\.name: externalName services not allowed: .*route skipped/)
    expect(lines[1]).toMatch(/^IngressRoute default\/test\.route: spec\.routes\[2\]\.services\[0\]\.namespace: .*allowCrossNamespace.*route skipped/)
    expect(Object.keys(config.http.routers)).toHaveLength(1)
  })

  it('honours the permission flags', async () => {
    const r = await run(['--allow-external-name-services', '--allow-cross-namespace', dir + '/app.yaml'])
    expect(r.code).toBe(0)
    const config = JSON.parse(r.stdout)
    expect(Object.keys(config.http.routers)).toHaveLength(2)
    const ext = Object.values(config.http.services).find(
      (s) => (s as { loadBalancer?: { servers?: Array<{ url: string }> } }).loadBalancer?.servers?.[0]?.url === 'https://example.com:443',
    )
    expect(ext).toBeDefined()
    // Crossing namespaces is now allowed, but there is no such Service there.
    expect(r.stderr).toMatch(/spec\.routes\[2\]\.services\[0\]\.name: Service other\/whoami not found/)
  })

  it('exits 1 when an input cannot be parsed', async () => {
    const r = await run([join(dir, 'app.yaml'), join(dir, 'broken.yaml')])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/broken\.yaml: line \d+, column \d+: /)
  })

  it('exits 1 when an input cannot be read', async () => {
    const r = await run([join(dir, 'nope.yaml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/nope\.yaml: cannot read/)
  })

  it('exits 2 on a usage error', async () => {
    expect((await run([])).code).toBe(2)
    expect((await run(['--no-such-flag', dir])).code).toBe(2)
    expect((await run(['--target', 'mars', dir])).code).toBe(2)
  })
})

// Line numbers below are those of DRY_RUN's lines (1-based, from its first line).
const DRY_RUN = `apiVersion: v1
kind: Service
metadata: {name: whoami, namespace: default}
spec:
  ports: [{name: web, port: 80}, {name: admin, port: 9000}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: whoami-1, namespace: default, labels: {kubernetes.io/service-name: whoami}}
ports: [{name: web, port: 8080}, {name: admin, port: 9000}]
endpoints: [{addresses: [10.0.0.1]}]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: bad
  namespace: default
spec:
  entryPoints: [web, websecure]
  routes:
    - match: Host(\`b.t\`) && Pathh(\`/x\`)
      services: [{name: whoami, port: 80}]
    - match: Host(\`c.t\`)
      middlewares:
        - name: bad@file
      services: [{name: whoami, port: 80}]
    - match: Host(\`d.t\`)
      observability:
        accesslogs: true
      services:
        - name: whoami
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: {name: client-cert, namespace: default}
spec: {passTLSClientCert: {pem: true}}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: mtls, namespace: default}
spec:
  entryPoints: [web]
  routes:
    - match: Host(\`m.t\`)
      middlewares: [{name: client-cert}]
      services: [{name: whoami, port: 80}]
`

// What workerd cannot do and Cloudflare can: give the worker the client certificate.
const WORKERD_ONLY = [
  'Middleware default/client-cert: spec.passTLSClientCert: the edge cannot run this middleware: passTLSClientCert: workerd does not give the worker the client certificate (on Cloudflare it comes from mTLS on the zone)',
  'IngressRoute default/mtls: spec.routes[0].middlewares: middlewares the edge cannot run: default-client-cert (passTLSClientCert: workerd does not give the worker the client certificate (on Cloudflare it comes from mTLS on the zone)); the route answers 501 instead of serving without them',
]

describe('npm run compile: a dry run that tells everything', () => {
  const file = () => join(dir, 'dry-run.yaml')
  beforeAll(() => writeFile(file(), DRY_RUN))

  it("names what the edge would not serve, at the field's line, with what to write instead; exit 0", async () => {
    const r = await run([file()])
    expect(r.code).toBe(0)
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `IngressRoute default/bad: spec.routes[2].observability.accesslogs: unknown field: not in the CRD schema, ignored; did you mean \`accessLogs\`? (${file()}:29)`,
      `IngressRoute default/bad: spec.routes[2].services[0].port: ingressRoute service port not defined (Service default/whoami has ports 80 (web), 9000 (admin)); route skipped (${file()}:31)`,
      'IngressRoute default/bad: spec.routes[0].match: error while parsing rule Host(`b.t`) && Pathh(`/x`): parsing rule Host(`b.t`) && Pathh(`/x`): unsupported function: Pathh ' +
        `(known matchers: ClientIP, Header, HeaderRegexp, Host, HostRegexp, Method, Path, PathPrefix, PathRegexp, Query, QueryRegexp; did you mean Path?) (${file()}:21)`,
      `IngressRoute default/bad: spec.routes[1].middlewares[0]: middleware "bad@file" does not exist (the edge has no "file" provider: only kubernetescrd and internal) (${file()}:25)`,
      // The route first, then the middleware's own problem (buildEdgeTable says middlewares' last).
      `${WORKERD_ONLY[1]} (${file()}:45)`,
      `${WORKERD_ONLY[0]} (${file()}:36)`,
    ])
  })

  it('checks entry points and the Cloudflare target when asked', async () => {
    const r = await run(['--entrypoint', 'web', '--target', 'cloudflare', file()])
    expect(r.code).toBe(0)
    const websecure = `IngressRoute default/bad: spec.entryPoints[1]: entryPoint "websecure" doesn't exist (${file()}:19)`
    expect(r.stderr.split('\n').filter((l) => l === websecure)).toHaveLength(1)
    for (const line of WORKERD_ONLY) expect(r.stderr).not.toContain(line)
  })
})
