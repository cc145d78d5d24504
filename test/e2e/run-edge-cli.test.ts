// `npm run edge` as a user runs it: a spawned process on real YAML, checked from outside.
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_ROOT } from '../../control-plane/runtime/paths.ts'

function npmEdge(args: string[]) {
  return spawnSync('npm', ['run', '--silent', 'edge', '--', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 })
}

describe('npm run edge: arguments', () => {
  it('exits 2 with the usage on a bad flag or no manifests', () => {
    const r = npmEdge(['--port', 'eighty', '--manifests', 'examples'])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--port eighty: not a port number[\s\S]*usage: npm run edge/)
    expect(npmEdge([]).status).toBe(2)
  })

  it('exits 1 with a located message when a manifest cannot be read or parsed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-cli-'))
    try {
      await writeFile(join(dir, 'broken.yaml'), 'kind: IngressRoute\nspec: [unclosed\n')
      const r = npmEdge(['--manifests', join(dir, 'broken.yaml')])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(join(dir, 'broken.yaml'))
      expect(r.stdout).not.toMatch(/ready/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
