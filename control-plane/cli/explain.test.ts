/**
 * npm run explain as users run it: a real process on examples/ and on YAML in a temp folder.
 * (test/contract/explain-agreement.test.ts checks its answers against a real edge.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Explanation } from '../explain/explain.ts'
import { runCli } from '../../test/support/cli.ts'
import { serviceYaml } from '../../test/support/manifests.ts'

const CLI = join(import.meta.dirname, 'explain.ts')
const EXAMPLES = join(import.meta.dirname, '../../examples')

const run = (args: string[]) => runCli(CLI, args)

const TLS_ROUTES = `${serviceYaml({ name: 'web', namespace: 'app', addresses: ['10.0.0.1'], port: 8080 })}---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: secure, namespace: app }
spec:
  entryPoints: [websecure]
  routes:
    - match: Host(\`s.example\`) && Header(\`X-Key\`, \`k1\`)
      services: [{ name: web, port: 80 }]
  tls: {}
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: fallback, namespace: app }
spec:
  entryPoints: [websecure]
  routes:
    - match: PathPrefix(\`/\`)
      priority: 1
      services: [{ name: web, port: 80 }]
  tls: {}
`

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'explain-cli-'))
  await writeFile(join(dir, 'tls.yaml'), TLS_ROUTES)
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('npm run explain', () => {
  it('prints the chosen router and its rule first, then middlewares, service and the routers that did not match', async () => {
    const { code, stdout } = await run(['--manifests', EXAMPLES, '--url', 'http://demo.localhost/docs'])
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toMatch(/^router: demo-demo-[0-9a-f]{20} {2}rule: Host\(`demo\.localhost`\)$/)
    expect(stdout).toContain('middlewares: demo-demo-headers (headers)\n')
    expect(stdout).toMatch(/^service: demo-demo-[0-9a-f]{20} \(loadBalancer: http:\/\/127\.0\.0\.11:18081, http:\/\/127\.0\.0\.12:18081\)$/m)
    expect(stdout).toMatch(
      /higher-priority routers that did not match:\n {2}demo-demo-[0-9a-f]{20} \(priority 44\) rule: Host\(`demo\.localhost`\) && PathPrefix\(`\/api`\)\n {4}failed: PathPrefix\(`\/api`\) at 26: path is "\/docs"\n/,
    )
    // Longer rules sort first (Traefik's default priority): the canary router is tried before.
    expect(stdout).toMatch(
      / {2}demo-canary-[0-9a-f]{20} \(priority 24\) rule: Host\(`canary\.localhost`\)\n {4}failed: Host\(`canary\.localhost`\) at 0: host is "demo\.localhost"\n/,
    )
  })

  it('uses the Host header over the URL, and the method, header and client IP given', async () => {
    const { code, stdout } = await run([
      EXAMPLES,
      '--url',
      'http://127.0.0.1:8787/api/users',
      '--header',
      'Host: demo.localhost',
      '--method',
      'post',
      '--client-ip',
      '10.1.2.3',
      '--json',
    ])
    expect(code).toBe(0)
    const e = JSON.parse(stdout) as Explanation
    expect(e.request).toMatchObject({ method: 'POST', host: 'demo.localhost', path: '/api/users', entryPoint: 'web', clientIp: '10.1.2.3', tls: false })
    expect(e.router?.rule).toBe('Host(`demo.localhost`) && PathPrefix(`/api`)')
    expect(e.router?.middlewares).toEqual([
      { name: 'demo-strip-api', type: 'stripPrefix' },
      { name: 'demo-demo-headers', type: 'headers' },
    ])
    expect(e.notMatched).toEqual([])
  })

  it('serves https URLs on websecure with the TLS routers, and says which routers match elsewhere', async () => {
    const tls = await run([dir, '--url', 'https://s.example/x', '--header', 'X-Key: k2'])
    expect(tls.code).toBe(0)
    expect(tls.stdout.split('\n')[0]).toMatch(/^router: app-fallback-[0-9a-f]{20} {2}rule: PathPrefix\(`\/`\)$/)
    expect(tls.stdout).toContain('failed: Header(`X-Key`, `k1`) at 21: header X-Key is "k2"')
    const plain = await run([dir, '--url', 'http://s.example/x', '--header', 'X-Key: k1', '--entrypoint', 'websecure'])
    expect(plain.code).toBe(2)
    expect(plain.stdout.split('\n')[0]).toBe('router: (none)  no router matched -> 404 page not found')
    expect(plain.stdout).toMatch(
      /routers whose rule matches but that do not serve this request:\n {2}app-secure-[0-9a-f]{20} .*: serves TLS requests only \(an https URL\)\n/,
    )
  })

  it('answers 400 for a malformed path as the edge does, and refuses bad input with exit 1', async () => {
    const bad = await run([EXAMPLES, '--url', 'http://demo.localhost/a%zz'])
    expect(bad.code).toBe(2)
    expect(bad.stdout).toContain('400 Bad Request')
    const usage = await run([EXAMPLES])
    expect(usage.code).toBe(1)
    expect(usage.stderr).toContain('--url is required')
    const header = await run([EXAMPLES, '--url', 'http://a/', '--header', 'nocolon'])
    expect(header.code).toBe(1)
    const missing = await run([join(dir, 'nope.yaml'), '--url', 'http://a/'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('nope.yaml')
  })
})
