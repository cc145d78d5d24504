/**
 * The guard rails `npm test` runs (scripts/check.ts) fail on a deliberate violation: each real
 * tool, with the repository's own configuration, over temporary files laid out as the repository
 * is (a tree of their own, so the repository is never touched).
 */
import { execFile } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { folderLoops } from '../../scripts/check.ts'

const REPO = join(import.meta.dirname, '..', '..')
const run = promisify(execFile)

let dir: string
const dirs: string[] = []

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true })
  writeFileSync(join(dir, path), text)
}

function copy(path: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true })
  copyFileSync(join(REPO, path), join(dir, path))
}

/** Runs a tool's JavaScript entry on this Node; resolves with its exit code and output. */
async function tool(entry: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [join(REPO, 'node_modules', entry), ...args], { cwd: dir, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, out: r.stdout + r.stderr }
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }
  }
}

/** A new tree with the repository's configurations and node_modules, and nothing else. */
function fresh(): void {
  dir = mkdtempSync(join(tmpdir(), 'guard-rails-'))
  dirs.push(dir)
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'))
  for (const f of ['tsconfig.base.json', 'shared/tsconfig.json', 'edge-worker/tsconfig.json', 'edge-worker/src/node-compat.d.ts']) copy(f)
  for (const f of ['.dependency-cruiser.cjs', 'biome.jsonc']) copy(f)
  // dependency-cruiser resolves through the root tsconfig.json: here, one over this tree's folders.
  write('tsconfig.json', JSON.stringify({ extends: './tsconfig.base.json', include: ['shared', 'control-plane', 'edge-worker'] }))
}

beforeEach(fresh)

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('import boundaries (dependency-cruiser, .dependency-cruiser.cjs)', () => {
  it('fails each layer crossing, and passes what the layers allow', async () => {
    // Allowed: both sides import shared/, a middleware imports the toolkit, a floor imports a lower one.
    write('shared/kv/layout.ts', 'export const POINTER_KEY = "table/pointer"\n')
    write('control-plane/publish/publisher.ts', "import { POINTER_KEY } from '../../shared/kv/layout.ts'\nexport const key = POINTER_KEY\n")
    write('edge-worker/src/middlewares/toolkit/path.ts', 'export const slash = "/"\n')
    write('edge-worker/src/middlewares/basic-auth/index.ts', "import { slash } from '../toolkit/path.ts'\nexport const realm = slash\n")
    // Violations, one per rule.
    write('control-plane/cli/edge.ts', "import { realm } from '../../edge-worker/src/middlewares/basic-auth/index.ts'\nexport const r = realm\n")
    write('edge-worker/src/app.ts', "import { key } from '../../control-plane/publish/publisher.ts'\nexport const k = key\n")
    write('shared/rules/read.ts', "import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n")
    write('shared/table/probe.ts', "import { r } from '../../control-plane/cli/edge.ts'\nexport const p = r\n")
    write('edge-worker/src/middlewares/digest-auth/index.ts', "import { realm } from '../basic-auth/index.ts'\nexport const d = realm\n")
    write('control-plane/table/build.ts', "import { key } from '../publish/publisher.ts'\nexport const b = key\n")
    write('control-plane/compiler/index.ts', "import { r } from '../cli/edge.ts'\nexport const c = r\n")
    const { out } = await tool('dependency-cruiser/bin/dependency-cruiser.mjs', [
      '--config',
      '.dependency-cruiser.cjs',
      '--output-type',
      'json',
      'shared',
      'control-plane',
      'edge-worker',
    ])
    const violations = (JSON.parse(out) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } }).summary.violations
    const found = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
    expect(found).toEqual(
      expect.arrayContaining([
        'control-plane-not-edge: control-plane/cli/edge.ts -> edge-worker/src/middlewares/basic-auth/index.ts',
        'edge-not-control-plane: edge-worker/src/app.ts -> control-plane/publish/publisher.ts',
        'shared-no-node: shared/rules/read.ts -> fs',
        'shared-is-neutral: shared/table/probe.ts -> control-plane/cli/edge.ts',
        'middleware-not-other-middleware: edge-worker/src/middlewares/digest-auth/index.ts -> edge-worker/src/middlewares/basic-auth/index.ts',
        'table-not-publish: control-plane/table/build.ts -> control-plane/publish/publisher.ts',
        'control-plane-floors: compiler: control-plane/compiler/index.ts -> control-plane/cli/edge.ts',
      ]),
    )
    // Nothing else: the allowed imports raised nothing.
    const allowed = ['control-plane/publish/publisher.ts', 'edge-worker/src/middlewares/basic-auth/index.ts']
    expect(violations.filter((v) => allowed.includes(v.from))).toEqual([])
  })

  it('finds a loop between two folders (scripts/check.ts folderLoops over the real graph)', async () => {
    write('shared/a/one.ts', "import { two } from '../b/two.ts'\nexport const one = () => two\n")
    write('shared/b/two.ts', "import { three } from '../a/three.ts'\nexport const two = three\n")
    write('shared/a/three.ts', 'export const three = 3\n')
    write('shared/c/four.ts', "import type { two } from '../a/one.ts'\nexport type Four = typeof two\n")
    const { out } = await tool('dependency-cruiser/bin/dependency-cruiser.mjs', ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'shared'])
    const result = JSON.parse(out) as { modules: Parameters<typeof folderLoops>[0] }
    expect(folderLoops(result.modules)).toEqual([['shared/a', 'shared/b']])
  })
})

describe('per-layer typecheck (tsc with each layer tsconfig)', () => {
  it("shared/ cannot use Node's modules or Workers-only APIs; Web APIs both runtimes have are fine", async () => {
    write('shared/ok.ts', "export const h = new Headers({ a: 'b' })\nexport const u = new URL('https://example.com/')\nexport const e = new TextEncoder()\n")
    const clean = await tool('typescript/bin/tsc', ['--noEmit', '-p', 'shared/tsconfig.json'])
    expect(clean.out).toBe('')
    expect(clean.code).toBe(0)
    write('shared/node.ts', "import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n")
    write('shared/workers.ts', 'export const rewriter = new HTMLRewriter()\n')
    const bad = await tool('typescript/bin/tsc', ['--noEmit', '-p', 'shared/tsconfig.json'])
    expect(bad.code).not.toBe(0)
    expect(bad.out).toMatch(/shared\/node\.ts.*TS2307: Cannot find module 'node:fs'/)
    expect(bad.out).toMatch(/shared\/workers\.ts.*Cannot find name 'HTMLRewriter'/)
  })

  it('edge-worker/ sees Workers types, and only the Node modules it declares', async () => {
    write('edge-worker/src/ok.ts', "import { createZstdCompress } from 'node:zlib'\nexport const r = new HTMLRewriter()\nexport const z = createZstdCompress\n")
    const clean = await tool('typescript/bin/tsc', ['--noEmit', '-p', 'edge-worker/tsconfig.json'])
    expect(clean.out).toBe('')
    write('edge-worker/src/fs.ts', "import { readFileSync } from 'node:fs'\nexport const read = readFileSync\n")
    const bad = await tool('typescript/bin/tsc', ['--noEmit', '-p', 'edge-worker/tsconfig.json'])
    expect(bad.code).not.toBe(0)
    expect(bad.out).toMatch(/edge-worker\/src\/fs\.ts.*TS2307: Cannot find module 'node:fs'/)
  })
})

describe('format and lint (Biome, biome.jsonc)', () => {
  it("fails a file not in the project's style, and one with an unused import", async () => {
    write('lint/ok.ts', "import { b } from './b.ts'\n\nexport const a = 'a' + b\n")
    write('lint/b.ts', "export const b = 'b'\n")
    const clean = await tool('@biomejs/biome/bin/biome', ['ci', '--vcs-enabled=false', '--colors=off', '--error-on-warnings', 'lint'])
    expect(clean.code).toBe(0)
    write('lint/style.ts', 'export const a = "a";\n')
    write('lint/unused.ts', "import { b } from './b.ts'\n\nexport const c = 'c'\n")
    const bad = await tool('@biomejs/biome/bin/biome', ['ci', '--vcs-enabled=false', '--colors=off', '--error-on-warnings', 'lint'])
    expect(bad.code).not.toBe(0)
    expect(bad.out).toMatch(/lint\/style\.ts format/)
    expect(bad.out).toMatch(/lint\/unused\.ts:1:\d+ lint\/correctness\/noUnusedImports/)
  })
})
