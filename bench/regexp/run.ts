/**
 * Go regexp engines (docs/libraries.md, "Go regexps"): per pattern, the time to compile it and
 * to test it against a usual input, on the native RegExp that shared/rules/regexp/to-js.ts
 * translates backtrack-safe patterns to and on re2js (shared/rules/regexp/linear.ts); and the
 * rewriting searches (re2js only). Cases in ./cases.ts. Medians of interleaved rounds, each a
 * doubling loop of at least 30 ms:
 *
 *   npm run bench:regexp -- [--rounds 7]
 *   npm run bench:regexp -- --instructions    (valgrind's counts: ./instructions.ts)
 *
 * `--case NAME --engine native|re2js [--warm W] --ops N` runs one case W then N times and prints
 * nothing (what ./instructions.ts counts).
 */
import { numberFlag, stringFlag } from '../support/args.ts'
import { operation, ROWS } from './cases.ts'
import { instructionTable } from './instructions.ts'

function nsPerOp(f: () => unknown, minMs = 30): number {
  for (let n = 1; ; n *= 2) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) f()
    const ns = Number(process.hrtime.bigint() - start)
    if (ns > minMs * 1e6) return ns / n
  }
}

const only = stringFlag('case')
if (only !== undefined) {
  const op = operation(only, stringFlag('engine') ?? 're2js')
  for (let i = numberFlag('warm', 0) + numberFlag('ops', 1); i > 0; i--) op()
} else if (process.argv.includes('--instructions')) {
  await instructionTable()
} else {
  const rounds = numberFlag('rounds', 7)
  const samples = new Map<string, number[]>()
  for (let r = 0; r < rounds; r++) {
    for (const [name, engines] of ROWS) {
      for (const engine of r % 2 === 0 ? engines : [...engines].reverse()) {
        const key = `${name}/${engine}`
        samples.set(key, [...(samples.get(key) ?? []), nsPerOp(operation(name, engine))])
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const cell = (key: string): string => (samples.has(key) ? median(samples.get(key)!).toFixed(0) : '')
  console.log('| case | native RegExp (ns) | re2js (ns) |')
  console.log('|---|---:|---:|')
  for (const [name] of ROWS) console.log(`| ${name} | ${cell(`${name}/native`)} | ${cell(`${name}/re2js`)} |`)
}
