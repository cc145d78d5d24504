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
import { commaList, count, nonNegative } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'
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

const single = 'one case in this process (what --instructions counts)'
const { values } = benchArgs({
  name: 'bench:regexp',
  usage: ['npm run bench:regexp -- [--rounds N]', 'npm run bench:regexp -- --instructions [--ms MS] [--only CASE,...]'],
  about:
    "Go regexps: per pattern, the time to compile it and to test it against a usual input on the native RegExp (backtrack-safe patterns) and on re2js; the rewriting searches on re2js. Medians of interleaved rounds. --instructions: valgrind's instruction counts instead (needs valgrind; minutes per row).",
  flags: {
    rounds: { type: 'string', value: 'N', convert: count, default: '7', help: 'interleaved rounds (medians)' },
    instructions: { type: 'boolean', help: 'instructions per operation counted by valgrind (callgrind), whatever else the machine runs' },
    ms: { type: 'string', value: 'MS', convert: nonNegative, default: '100', help: '--instructions: about how long each counted run takes outside valgrind' },
    only: { type: 'string', value: 'CASE[,CASE...]', defaultText: 'one compile row per engine pair', help: '--instructions: only these cases' },
    case: { type: 'string', value: 'NAME', group: single, help: 'run this case and print nothing' },
    engine: { type: 'string', choices: ['native', 're2js'], default: 're2js', group: single, help: 'the engine it runs on' },
    warm: { type: 'string', value: 'W', convert: count, default: '0', group: single, help: 'operations before the counted ones' },
    ops: { type: 'string', value: 'N', convert: count, default: '1', group: single, help: 'operations counted' },
  },
})
if (values.case !== undefined) {
  const op = operation(values.case, values.engine)
  for (let i = values.warm + values.ops; i > 0; i--) op()
} else if (values.instructions) {
  await instructionTable({ ms: values.ms, ...(values.only === undefined ? {} : { only: commaList(values.only) }) })
} else {
  const rounds = values.rounds
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
