/**
 * Manifests written to hurt (issue 17, item 11), through the real CLI (`npm run compile`'s entry)
 * and the file-mode reload path:
 *
 * - a billion-laughs file crashed `npm run compile` with a Node stack trace, while the reload path
 *   reported it: both say the same clean, located error now;
 * - YAML 1.1 values such as `e1`, `E5`, `.e1` in names parsed as NaN and the object was dropped:
 *   go-yaml reads them as strings, and so does the loader;
 * - invalid UTF-8 in a rule was silently replaced: the object is refused with a diagnostic that
 *   says where.
 * (A router with thousands of middlewares: ./middleware-chains.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'
import { startFileMode } from '../../control-plane/pipeline/file-mode.ts'
import { manifestPipeline } from '../../control-plane/pipeline/pipeline.ts'
import { edgeTableStage } from '../../control-plane/pipeline/edge-table.ts'
import { runCli } from '../support/cli.ts'

const COMPILE = join(REPO_ROOT, 'control-plane/cli/compile.ts')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'adversarial-manifests-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

const SERVICE = `apiVersion: v1
kind: Service
metadata: { name: whoami, namespace: default }
spec: { ports: [{ name: http, port: 80 }] }
`

function laughs(): string {
  const lines = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: lol',
    '  namespace: default',
    'data:',
    '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ]
  for (let i = 1; i < 10; i++)
    lines.push(
      `  a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]`,
    )
  return `${lines.join('\n')}\n`
}

describe('a billion-laughs file', () => {
  it('is a clean, located error in npm run compile (exit 1, no stack trace), the same the reload path reports', async () => {
    const file = join(dir, 'laughs.yaml')
    await writeFile(file, laughs())
    const run = await runCli(COMPILE, [file])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).not.toMatch(/\n\s+at /)
    const message = new RegExp(`^compile: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: document 1 \\(line 1\\): .*resource exhaustion`)
    expect(run.stderr).toMatch(message)
    const compileError = run.stderr.trim().replace(/^compile: /, '')

    // The reload path: a good file first, then the bomb; the last good configuration stays.
    const manifest = join(dir, 'reload.yaml')
    await writeFile(manifest, SERVICE)
    const reports: string[] = []
    const mode = await startFileMode({
      paths: [manifest],
      build: manifestPipeline({}, edgeTableStage({ entryPoint: 'web' })),
      publish: async () => ({ changed: true, manifest: { routes: { version: 'v' } } }) as never,
      report: (line) => reports.push(line),
      debounceMs: 10,
    })
    try {
      await writeFile(manifest, laughs())
      for (let i = 0; i < 100 && !reports.some((r) => /still serving/.test(r)); i++) await new Promise((r) => setTimeout(r, 50))
      expect(reports).toContain(`${compileError.replace(file, manifest)}; still serving the last good configuration`)
    } finally {
      mode.stop()
      await mode.idle()
    }
  })
})

describe('YAML 1.1 scalars that only look like numbers', () => {
  it('are strings, as go-yaml reads them: objects named so compile, and values keep their text', async () => {
    const file = join(dir, 'names.yaml')
    await writeFile(
      file,
      `apiVersion: v1
kind: Service
metadata: { name: e1, namespace: default }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: traefik.io/v1alpha1
kind: Middleware
metadata: { name: e5, namespace: default }
spec:
  headers:
    customRequestHeaders: { X-A: E5, X-B: .e1, X-C: e1, X-D: ., X-E: _1e5 }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: e1, namespace: default }
spec:
  routes:
    - match: Host(\`e1.example\`)
      middlewares: [{ name: e5 }]
      services: [{ name: e1, port: 80 }]
`,
    )
    const run = await runCli(COMPILE, ['--allow-empty-services', file])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toBe('')
    const out = JSON.parse(run.stdout)
    expect(Object.keys(out.http.services)).toEqual([expect.stringMatching(/^default-e1-/)])
    expect(Object.values(out.http.routers as Record<string, { middlewares: string[] }>)[0]!.middlewares).toEqual(['default-e5'])
    expect(out.http.middlewares['default-e5'].headers.customRequestHeaders).toEqual({ 'X-A': 'E5', 'X-B': '.e1', 'X-C': 'e1', 'X-D': '.', 'X-E': '_1e5' })
  })
})

describe('invalid UTF-8 in a rule', () => {
  it('refuses the object with a diagnostic naming it, the field and the place; the rest compiles', async () => {
    const file = join(dir, 'utf8.yaml')
    const bad = Buffer.concat([
      Buffer.from(`${SERVICE}---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: broken, namespace: default }
spec:
  routes:
    - match: Host(\`caf`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(`.example\`)
      services: [{ name: whoami, port: 80 }]
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: fine, namespace: default }
spec:
  routes:
    - match: Host(\`fine.example\`)
      services: [{ name: whoami, port: 80 }]
`),
    ])
    await writeFile(file, bad)
    const run = await runCli(COMPILE, ['--allow-empty-services', file])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/^IngressRoute default\/broken: spec\.routes\[0\]\.match: invalid UTF-8 \(byte 0xc3 at line 11, column 23\); object skipped/m)
    const routers = JSON.parse(run.stdout).http.routers as Record<string, { rule: string }>
    expect(Object.values(routers).map((r) => r.rule)).toEqual(['Host(`fine.example`)'])
    expect(run.stdout).not.toContain('\ufffd')
  })
})
