// The controller's V8 heap flags are stated in three places that must agree: `npm run controller`
// (package.json, which bench:propagation also runs with), deploy/controller.yaml's NODE_OPTIONS,
// and the default row of docs/controller-sizing.md; and every row of that table is a flag set
// Node accepts.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { REPO_ROOT } from '../../runtime/paths.ts'

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8')

describe("the controller's heap flags", () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
  const shipped = scripts
    .controller!.split(' ')
    .filter((w) => w.startsWith('--max-'))
    .join(' ')
  const sizing = read('docs/controller-sizing.md')
  const rows = [...sizing.matchAll(/^\| up to [\d,]+ \| `([^`]+)`/gm)].map((m) => m[1]!)

  it('are the same in package.json, deploy/controller.yaml and the sizing table', () => {
    expect(shipped).toMatch(/--max-old-space-size=\d+/)
    const deployment = parseAllDocuments(read('deploy/controller.yaml'))
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'Deployment')
    const env = deployment.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>
    expect(env.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(shipped)
    expect(rows[0]).toBe(shipped)
    expect(sizing).toMatch(new RegExp(`\`${shipped}\` \\(the default`))
  })

  it('are flags Node takes, in every row of the sizing table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(4)
    for (const flags of rows) {
      const out = execFileSync(process.execPath, [...flags.split(' '), '-e', 'console.log(require("node:v8").getHeapStatistics().heap_size_limit)'], {
        encoding: 'utf8',
      })
      const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(flags)![1])
      // The limit V8 took includes the young generation: at least the old space asked for.
      expect(Number(out) / 2 ** 20).toBeGreaterThanOrEqual(oldSpace)
    }
  })
})
