/**
 * Instructions per operation of ./cases.ts's cases, counted by valgrind (callgrind), so that the
 * figure does not depend on what else the machine runs: each (case, engine) runs in its own
 * process WARM + LOW and WARM + HIGH times, and the difference is divided by HIGH - LOW (process
 * start, module loading and the JIT's work during the WARM runs cancel out). WARM and HIGH are
 * what takes about `--ms` (100) of this machine's time outside valgrind, LOW a fifth of it.
 * Slow: minutes per row.
 *
 *   npm run bench:regexp -- --instructions [--ms 100] [--only host,path,...]
 *
 * Needs valgrind.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { operation, ROWS } from './cases.ts'

const run = promisify(execFile)

/** How many operations take about `ms` here, outside valgrind (a warm doubling loop). */
function opsFor(name: string, engine: string, ms: number): number {
  const op = operation(name, engine)
  for (let n = 1; ; n *= 2) {
    const start = performance.now()
    for (let i = 0; i < n; i++) op()
    const took = performance.now() - start
    if (took > ms / 4) return Math.max(50, Math.round((n * ms) / took))
  }
}

async function instructions(name: string, engine: string, warm: number, ops: number): Promise<number> {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, join(import.meta.dirname, 'run.ts')]
  const { stderr } = await run('valgrind', [...args, '--case', name, '--engine', engine, '--warm', String(warm), '--ops', String(ops)], { maxBuffer: 1 << 24 })
  const m = /Collected : (\d+)/.exec(stderr)
  if (!m) throw new Error(`no instruction count for ${name} on ${engine}:\n${stderr.slice(-2000)}`)
  return Number(m[1])
}

/** `ms`: what WARM and HIGH take outside valgrind; `only`: these cases (default: one compile row per engine pair). */
export async function instructionTable({ ms, only }: { ms: number; only?: readonly string[] }): Promise<void> {
  // One compile row per engine pair is enough here (each row costs minutes under valgrind).
  const rows = ROWS.filter(([name]) => (only ? only.includes(name) : !name.startsWith('compile:') || name === 'compile:host' || name === 'compile:path'))
  console.log('| case | native RegExp (instructions) | re2js (instructions) |')
  console.log('|---|---:|---:|')
  for (const [name, engines] of rows) {
    const cells: Record<string, string> = {}
    for (const engine of engines) {
      const high = opsFor(name, engine, ms)
      const low = Math.round(high / 5)
      const counts = [await instructions(name, engine, high, low), await instructions(name, engine, high, high)]
      cells[engine] = Math.round((counts[1]! - counts[0]!) / (high - low)).toLocaleString('en-US')
    }
    console.log(`| ${name} | ${cells.native ?? ''} | ${cells.re2js ?? ''} |`)
  }
}
