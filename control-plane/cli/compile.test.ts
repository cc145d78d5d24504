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
  })
})
