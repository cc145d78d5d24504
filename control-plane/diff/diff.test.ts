/**
 * npm run diff as users run it: a real process on two folders of real YAML.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConfigDiff } from './diff.ts'
import { fieldChanges } from './diff.ts'
import { runCli } from '../../test/support/cli.ts'
import { serviceYaml } from '../../test/support/manifests.ts'

const CLI = join(import.meta.dirname, '../cli/diff.ts')

const run = (args: string[]) => runCli(CLI, args)

const service = (name: string, addresses: string[]) => serviceYaml({ name, namespace: 'app', addresses, port: 8080 })

const route = (o: { match: string; priority?: number; middlewares?: string[]; service?: string }) => `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: site, namespace: app }
spec:
  routes:
    - match: ${JSON.stringify(o.match)}
${o.priority ? `      priority: ${o.priority}\n` : ''}${o.middlewares ? `      middlewares: [${o.middlewares.map((m) => `{ name: ${m} }`).join(', ')}]\n` : ''}      services: [{ name: ${o.service ?? 'web'}, port: 80 }]
`

const middleware = (prefix: string) => `apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: strip, namespace: app }
spec: { stripPrefix: { prefixes: [${prefix}] } }
`

let dir: string
const OLD = () => join(dir, 'old')
const NEW = () => join(dir, 'new')

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'diff-cli-'))
  await mkdir(OLD())
  await mkdir(NEW())
  await writeFile(
    join(OLD(), 'app.yaml'),
    [service('web', ['10.0.0.1', '10.0.0.2']), route({ match: 'Host(`a.example`)', middlewares: ['strip'] }), middleware('/api')].join('---\n'),
  )
  await writeFile(
    join(NEW(), 'app.yaml'),
    [
      service('web', ['10.0.0.2', '10.0.0.3']),
      service('other', ['10.0.1.1']),
      route({ match: 'Host(`a.example`)', priority: 10, middlewares: ['strip'] }),
      middleware('/v2'),
      route({ match: 'Host(`o.example`)', service: 'other' }).replace('name: site', 'name: other'),
      // A route whose service does not exist: a new problem, and no router.
      route({ match: 'Host(`b.example`)', service: 'missing' }).replace('name: site', 'name: broken'),
    ].join('---\n'),
  )
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('npm run diff', () => {
  it('lists changed routers and middlewares field by field, servers apart, and new problems; exit 1', async () => {
    const { code, stdout, stderr } = await run([OLD(), '--', NEW()])
    expect(stderr).toBe('')
    expect(code).toBe(1)
    expect(stdout).toMatch(/^routers:\n {2}\+ app-other-[0-9a-f]{20}\n {2}~ app-site-[0-9a-f]{20}\n {6}priority: 17 -> 10$/m)
    expect(stdout).toMatch(/^middlewares:\n {2}~ app-strip\n {6}config\.prefixes\[0\]: "\/api" -> "\/v2"$/m)
    expect(stdout).toMatch(/^services:\n {2}\+ app-other-[0-9a-f]{20}\n/m)
    expect(stdout).toMatch(/endpoints:\n(.*\n)* {2}~ app-site-[0-9a-f]{20}\n {6}\+ http:\/\/10\.0\.0\.3:8080\n {6}- http:\/\/10\.0\.0\.1:8080\n/)
    expect(stdout).toMatch(/problems:\n {2}\+ IngressRoute app\/broken: .*missing/)
  })

  it('gives the same as JSON with --from/--to, and exit 0 with nothing to change', async () => {
    const json = await run(['--from', OLD(), '--to', NEW(), '--json'])
    expect(json.code).toBe(1)
    const diff = JSON.parse(json.stdout) as ConfigDiff
    expect(diff.routers.changed).toHaveLength(1)
    expect(diff.routers.changed[0]!.fields).toEqual([{ field: 'priority', old: 17, new: 10 }])
    const site = diff.routers.changed[0]!.name
    expect(diff.endpoints).toContainEqual({ service: site, added: ['http://10.0.0.3:8080'], removed: ['http://10.0.0.1:8080'], changed: [] })
    const same = await run([OLD(), '--', OLD()])
    expect(same).toMatchObject({ code: 0, stdout: 'no change at the edge\n' })
  })

  it('pairs a router renamed by a rule change, and refuses bad input with exit 2', async () => {
    await writeFile(
      join(dir, 'renamed.yaml'),
      [service('web', ['10.0.0.1', '10.0.0.2']), route({ match: 'Host(`z.example`)', middlewares: ['strip'] }), middleware('/api')].join('---\n'),
    )
    const { code, stdout } = await run([OLD(), '--', join(dir, 'renamed.yaml')])
    expect(code).toBe(1)
    expect(stdout).toMatch(
      /~ app-site-[0-9a-f]{20} -> app-site-[0-9a-f]{20} \(renamed: its rule changed\)\n {6}rule: "Host\(`a\.example`\)" -> "Host\(`z\.example`\)"/,
    )
    // Same servers under the new name: no endpoint change.
    expect(stdout).not.toContain('endpoints:')
    expect((await run([OLD()])).code).toBe(2)
    const missing = await run([OLD(), '--', join(dir, 'nope')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('nope')
  })

  it('reports no unreachable pod or ClusterIP server of examples/ on the Cloudflare target: they go through the tunnel', async () => {
    await mkdir(join(dir, 'empty'), { recursive: true })
    const examples = join(import.meta.dirname, '../../examples')
    const cf = await run(['--target', 'cloudflare', join(dir, 'empty'), '--', examples])
    expect(cf.code).toBe(1)
    expect(cf.stdout).toMatch(/endpoints:\n(.*\n)* {6}\+ http:\/\/127\.0\.0\.11:18081\n/)
    expect(cf.stdout).not.toMatch(/1003|refuses|unreachable|passHostHeader/)
    // ClusterIP servers (nativeLB) and node addresses are pod-network addresses too.
    const native = await run(['--target', 'cloudflare', '--native-lb-by-default', join(dir, 'empty'), '--', examples])
    expect(native.stdout).not.toMatch(/1003|refuses|unreachable/)
  })

  it('says a secret changed without showing it', async () => {
    const auth = (users: string) => `apiVersion: v1
kind: Secret
metadata: { name: users, namespace: app }
data: { users: ${users} }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: strip, namespace: app }
spec: { basicAuth: { secret: users } }
`
    const site = [service('web', ['10.0.0.1']), route({ match: 'Host(`a.example`)', middlewares: ['strip'] })]
    await writeFile(join(dir, 'auth1.yaml'), [...site, auth('dGVzdDokYXByMSRINnVza2trVyRJZ1hMUDZld1RyU3VCa1RycUU4d2ovCg==')].join('---\n'))
    await writeFile(join(dir, 'auth2.yaml'), [...site, auth('dGVzdDI6JGFwcjEkZDlocjlIQkIkNEh4d2dVaXIzSFA0RXNnZ1AvUU5vMAo=')].join('---\n'))
    const { code, stdout } = await run([join(dir, 'auth1.yaml'), '--', join(dir, 'auth2.yaml')])
    expect(code).toBe(1)
    expect(stdout).toContain('middlewares:\n  ~ app-strip\n      config.users[0]: "(secret, not shown)" -> "(secret, not shown)"\n')
    expect(stdout).not.toMatch(/apr1|test2/)
  })

  it('compares JSON values field by field', () => {
    expect(fieldChanges({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3] }, d: true }, '')).toEqual([
      { field: 'b.c[1]', old: 2, new: 3 },
      { field: 'd', new: true },
    ])
    expect(fieldChanges([1], [1, 2], 'xs')).toEqual([{ field: 'xs', old: [1], new: [1, 2] }])
  })
})
