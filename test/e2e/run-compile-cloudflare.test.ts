// `npm run compile -- --target cloudflare` as a user runs it: the shipped examples (Services backed by
// pods, reached through the tunnel binding) have nothing the Cloudflare target cannot serve, and the
// same command does speak up, located, about what it cannot do.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { serviceYaml } from '../support/manifests.ts'

function compileForCloudflare(paths: string[]) {
  return spawnSync('npm', ['run', '--silent', 'compile', '--', '--target', 'cloudflare', ...paths], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 })
}

describe('npm run compile -- --target cloudflare', () => {
  it('reports nothing unreachable for examples/: pod servers go through the tunnel binding', () => {
    const r = compileForCloudflare(['examples'])
    expect(r.status).toBe(0)
    expect(r.stderr).toBe('')
    const servers = JSON.stringify(JSON.parse(r.stdout).http.services)
    expect(servers).toMatch(/"url":"http:\/\/127\.0\.0\.\d+:\d+"/) // the demo's pod addresses, kept
  })

  it('names the object, field and line of what Cloudflare cannot do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'compile-cloudflare-'))
    try {
      const file = join(dir, 'skip.yaml')
      await writeFile(
        file,
        `${serviceYaml({ name: 'app', addresses: ['10.0.0.5'], port: 8443 })}---
apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: { name: skip, namespace: demo }
spec:
  insecureSkipVerify: true
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: app, namespace: demo }
spec:
  routes: [{ match: Host(\`a.example\`), services: [{ name: app, port: 80, scheme: https, serversTransport: skip }] }]
`,
      )
      const r = compileForCloudflare([file])
      expect(r.status).toBe(0)
      expect(r.stderr).toMatch(/^ServersTransport demo\/skip: spec\.insecureSkipVerify: .*Cloudflare Workers cannot do this.*\(.*skip\.yaml:\d+\)$/m)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
