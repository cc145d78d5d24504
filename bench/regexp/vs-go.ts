/**
 * The edge's Go regexps against Go's own regexp package (docs/libraries.md, "Go regexps"): random
 * patterns and inputs (fast-check, seeded) through shared/rules/regexp and through
 * ./go-oracle/main.go, compared on whether the pattern compiles, MatchString,
 * FindStringSubmatchIndex and ReplaceAllString. Prints the counts of differences and a few of
 * them. Not a test: it needs a Go toolchain (Debian: apt-get install golang-go).
 *
 *   node scripts/run.mjs node bench/regexp/vs-go.ts [--patterns 5000] [--seed 1]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { compileGoRegexp } from '../../shared/rules/regexp/compile.ts'
import { compileGoSubmatch } from '../../shared/rules/regexp/submatch.ts'
import { goInput, goPattern } from '../../test/support/go-regexps.ts'
import { count } from '../../control-plane/cli/command.ts'
import { benchArgs } from '../support/args.ts'

const { values } = benchArgs({
  name: 'bench/regexp/vs-go.ts',
  usage: ['node scripts/run.mjs node bench/regexp/vs-go.ts [flags]'],
  about:
    "The edge's Go regexps against Go's own regexp package on random patterns and inputs (fast-check, seeded): whether each compiles, MatchString, FindStringSubmatchIndex, ReplaceAllString. Needs a Go toolchain.",
  flags: {
    patterns: { type: 'string', value: 'N', convert: count, default: '5000', help: 'random patterns tried' },
    seed: { type: 'string', value: 'N', convert: count, default: '1', help: "fast-check's seed" },
  },
})
const TEMPLATE = '<$1|${g}|$0|$$>'

interface GoResult {
  err?: string
  match: boolean[]
  sub: Array<number[] | null>
  repl: string[]
}

// Go accepts a group name twice, re2js (and so the edge) does not: such patterns are left out.
const cases = fc
  .sample(fc.record({ p: goPattern({ named: true }), inputs: fc.array(goInput, { minLength: 1, maxLength: 6 }) }), {
    numRuns: values.patterns,
    seed: values.seed,
  })
  .filter((c) => c.p.split('(?P<g>').length <= 2)

const dir = mkdtempSync(join(tmpdir(), 'go-oracle-'))
execFileSync('go', ['build', '-o', join(dir, 'oracle'), '.'], { cwd: join(import.meta.dirname, 'go-oracle'), env: { ...process.env, GOFLAGS: '-mod=mod' } })
const go = JSON.parse(
  execFileSync(join(dir, 'oracle'), { input: JSON.stringify(cases.map((c) => ({ ...c, tmpl: TEMPLATE }))), maxBuffer: 1 << 28 }).toString(),
) as GoResult[]

const diff = { compile: 0, match: 0, submatch: 0, replace: 0 }
const examples: unknown[] = []
let inputs = 0
cases.forEach((c, i) => {
  const want = go[i]!
  let re: ReturnType<typeof compileGoRegexp>
  let sub: ReturnType<typeof compileGoSubmatch>
  try {
    re = compileGoRegexp(c.p)
    sub = compileGoSubmatch(c.p)
  } catch (e) {
    if (!want.err) diff.compile++, examples.push({ pattern: c.p, go: 'compiles', edge: (e as Error).message })
    return
  }
  if (want.err) diff.compile++, examples.push({ pattern: c.p, go: want.err, edge: 'compiles' })
  if (want.err) return
  c.inputs.forEach((s, j) => {
    inputs++
    const got = { match: re.test(s), sub: sub.exec(s), repl: sub.replaceAll(s, TEMPLATE) }
    const bad: string[] = []
    if (got.match !== want.match[j]) diff.match++, bad.push('match')
    if (JSON.stringify(got.sub && [...got.sub]) !== JSON.stringify(want.sub[j])) diff.submatch++, bad.push('submatch')
    if (got.repl !== want.repl[j]) diff.replace++, bad.push('replace')
    if (bad.length > 0)
      examples.push({ pattern: c.p, input: s, bad, go: [want.match[j], want.sub[j], want.repl[j]], edge: [got.match, got.sub && [...got.sub], got.repl] })
  })
})
console.log(`${cases.length} patterns, ${inputs} inputs; Go ${execFileSync('go', ['version']).toString().trim()}`)
console.log('differences:', JSON.stringify(diff))
for (const e of examples.slice(0, 10)) console.log(' ', JSON.stringify(e))
