// The guard rails `npm test` runs before the tests: typecheck (one tsconfig per layer), format
// and lint (Biome), import boundaries (dependency-cruiser, plus no import loops between folders).
// Run through scripts/run.mjs (npm test does): it needs Node >= 22 and node_modules/.bin on PATH.
//   node scripts/run.mjs node scripts/check.ts [typecheck|format-lint|boundaries]...
import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The tsconfig of each layer: shared/ with neither Node's nor Workers' types, edge-worker/ with Workers', control-plane/ with Node's; tests, benches and scripts (root) with both. */
export const TSCONFIGS = ['shared/tsconfig.json', 'edge-worker/tsconfig.json', 'control-plane/tsconfig.json', 'tsconfig.json']

/** The folders whose code may not import each other in a loop (a file at edge-worker/src's top counts as its own node). */
export function folderOf(path: string): string {
  const s = path.split('/')
  if (s[0] === 'edge-worker' && s[1] === 'src') {
    if (s.length === 3) return path
    return s.slice(0, s[2] === 'middlewares' && s.length > 4 ? 4 : 3).join('/')
  }
  return s.length > 2 ? s.slice(0, 2).join('/') : path
}

/**
 * Loops between folders in dependency-cruiser's module graph: code only (tests and test/, bench/
 * are consumers), runtime imports only (type-only imports are erased). Each loop as folder names.
 */
/** What scripts/check.ts reads of dependency-cruiser's JSON output. */
export interface CruisedModule {
  source: string
  dependencies: Array<{ resolved: string; coreModule: boolean; dependencyTypes: string[] }>
}

export function folderLoops(modules: CruisedModule[]): string[][] {
  const isCode = (p: string) => !/\.test\.ts$/.test(p) && !/^(test|bench|scripts)\//.test(p) && !p.includes('node_modules')
  const graph = new Map<string, Set<string>>()
  for (const m of modules) {
    if (!isCode(m.source)) continue
    const from = folderOf(m.source)
    for (const d of m.dependencies) {
      if (d.coreModule || !isCode(d.resolved) || d.dependencyTypes.includes('type-only')) continue
      const to = folderOf(d.resolved)
      if (to === from) continue
      if (!graph.has(from)) graph.set(from, new Set())
      graph.get(from)!.add(to)
    }
  }
  // Tarjan's strongly connected components: each one with more than one folder is a loop.
  let next = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const loops: string[][] = []
  const visit = (v: string): void => {
    index.set(v, next)
    low.set(v, next++)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) loops.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return loops
}

function run(cmd: string, args: string[], { capture = false } = {}): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d))
    child.on('close', (code) => done({ code: code ?? 1, out }))
  })
}

const STEPS: Record<string, () => Promise<string | null>> = {
  async typecheck() {
    // Two at a time: CI has two cores.
    const failed: string[] = []
    for (let i = 0; i < TSCONFIGS.length; i += 2) {
      const pair = TSCONFIGS.slice(i, i + 2)
      const codes = await Promise.all(pair.map((c) => run('tsc', ['--noEmit', '-p', c])))
      codes.forEach((r, j) => r.code !== 0 && failed.push(pair[j]!))
    }
    return failed.length ? `type errors (${failed.join(', ')})` : null
  },
  async 'format-lint'() {
    const r = await run('biome', ['ci', '--colors=off', '--error-on-warnings', '--max-diagnostics=50', '.'])
    return r.code === 0 ? null : 'format or lint (fix formatting: npx biome format --write FILE)'
  },
  async boundaries() {
    const r = await run(
      'depcruise',
      ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'shared', 'control-plane', 'edge-worker', 'test', 'bench', 'scripts'],
      { capture: true },
    )
    let result: {
      summary: { violations: Array<{ rule: { name: string }; from: string; to: string; cycle?: Array<{ name: string } | string> }> }
      modules: CruisedModule[]
    }
    try {
      result = JSON.parse(r.out)
    } catch {
      return `dependency-cruiser failed (exit ${r.code})`
    }
    const problems = result.summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (loop: ${v.cycle.map((c) => (typeof c === 'string' ? c : c.name)).join(' -> ')})` : ''}`,
    )
    for (const loop of folderLoops(result.modules)) problems.push(`folder-loop: ${loop.join(' <-> ')}`)
    for (const p of problems) process.stderr.write(`  ${p}\n`)
    return problems.length ? `${problems.length} import boundary violation(s) (rules: .dependency-cruiser.cjs)` : null
  },
}

if (import.meta.main) {
  const names = process.argv.slice(2)
  const chosen = names.length ? names : Object.keys(STEPS)
  let failed = 0
  for (const name of chosen) {
    const step = STEPS[name]
    if (!step) {
      process.stderr.write(`unknown check ${name}: ${Object.keys(STEPS).join(', ')}\n`)
      process.exit(2)
    }
    const start = Date.now()
    const problem = await step()
    const took = `${((Date.now() - start) / 1000).toFixed(1)} s`
    if (problem) {
      failed++
      process.stderr.write(`[check] ${name}: FAILED, ${problem} (${took})\n`)
    } else process.stderr.write(`[check] ${name}: ok (${took})\n`)
  }
  process.exit(failed ? 1 : 0)
}
