/**
 * Instructions per operation of ./run.ts's cases, counted by valgrind (callgrind), so that the
 * figure does not depend on what else the machine runs: each (case, engine) runs in its own
 * process `--ops LOW` and `--ops HIGH` times, and the difference is divided by HIGH - LOW (process
 * start, module loading and the first runs' JIT work cancel out). Slow: about a minute per row.
 *
 *   npm run bench:regexp -- --instructions [--low 200] [--high 2200]
 *
 * Needs valgrind.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { numberFlag } from '../support/args.ts'
import { ROWS } from './cases.ts'

const run = promisify(execFile)
const LOW = numberFlag('low', 200)
const HIGH = numberFlag('high', 2200)

async function instructions(name: string, engine: string, ops: number): Promise<number> {
  const args = ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, join(import.meta.dirname, 'run.ts')]
  const { stderr } = await run('valgrind', [...args, '--case', name, '--engine', engine, '--ops', String(ops)], { maxBuffer: 1 << 24 })
  const m = /Collected : (\d+)/.exec(stderr)
  if (!m) throw new Error(`no instruction count for ${name} on ${engine}:\n${stderr.slice(-2000)}`)
  return Number(m[1])
}

export async function instructionTable(): Promise<void> {
  // One compile row per engine pair is enough here (each row costs minutes under valgrind).
  const rows = ROWS.filter(([name]) => !name.startsWith('compile:') || name === 'compile:host' || name === 'compile:path')
  console.log('| case | native RegExp (instructions) | re2js (instructions) |')
  console.log('|---|---:|---:|')
  for (const [name, engines] of rows) {
    const cells: Record<string, string> = {}
    for (const engine of engines) {
      const [low, high] = [await instructions(name, engine, LOW), await instructions(name, engine, HIGH)]
      cells[engine] = Math.round((high - low) / (HIGH - LOW)).toLocaleString('en-US')
    }
    console.log(`| ${name} | ${cells.native ?? ''} | ${cells.re2js ?? ''} |`)
  }
}
