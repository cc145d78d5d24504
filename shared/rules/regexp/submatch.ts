/**
 * Go regexps with submatches, for the middlewares that rewrite with them (redirectRegex,
 * replacePathRegex, stripPrefixRegex): FindStringSubmatchIndex and ReplaceAllString with Go's
 * leftmost-first semantics, on re2js (./linear.ts): a search costs O(input × pattern) on every
 * pattern, as in Go, since these run on URLs the client chose. The template is expanded as Go
 * does (./expand.ts), which re2js's JavaScript and Java replacement modes do not.
 *
 * @module
 */
import { Matcher } from 're2js'
import { maxMatchInput, programSize, refuseTooLarge } from './budget.ts'
import { expandTemplate } from './expand.ts'
import { compileLinear } from './linear.ts'
import { parseRe2, type ReNode } from './syntax.ts'

export interface GoSubmatchRegexp {
  /** Capturing groups (Go's NumSubexp). */
  readonly groups: number
  /** Group names by index; index 0 (the whole match) and unnamed groups are ''. */
  readonly names: readonly string[]
  /** Go's FindStringSubmatchIndex from `from` (UTF-16 offsets; -1 for a group that did not take part); null: no match. */
  exec(input: string, from?: number): Int32Array | null
  test(input: string): boolean
  /** Go's ReplaceAllString: every non-overlapping match replaced by the expanded template. */
  replaceAll(input: string, template: string): string
  /** The longest input a search runs on (./budget.ts MATCH_WORK_BUDGET): a longer one has no match. */
  readonly maxInput: number
}

/** Compiles a Go regexp for submatching. Throws RegexpSyntaxError. */
export function compileGoSubmatch(pattern: string): GoSubmatchRegexp {
  const tree = parseRe2(pattern, { captures: true })
  const names: string[] = ['']
  collectNames(tree, names)
  const groups = names.length - 1
  // The whole match is capture group 0, and the program ends with its match instruction.
  const states = programSize({ t: 'concat', items: [tree], cap: { index: 0, name: '' } }) + 1
  refuseTooLarge(states)
  const re = compileLinear(pattern)
  // Inputs come from clients and patterns from route authors: the work of a search is bounded.
  const maxInput = maxMatchInput(states)
  const exec = (input: string, from = 0): Int32Array | null => {
    if (input.length - from > maxInput) return null
    const m = new Matcher(re, input)
    if (!m.find(from)) return null
    const out = new Int32Array(2 * groups + 2)
    for (let g = 0; g <= groups; g++) {
      out[2 * g] = m.start(g)
      out[2 * g + 1] = m.end(g)
    }
    return out
  }
  return {
    groups,
    names,
    maxInput,
    exec,
    test: (input) => input.length <= maxInput && re.test(input),
    replaceAll(input, template) {
      // One search per match: the whole input is bounded at once, as if nothing matched.
      if (input.length > maxInput) return input
      let out = ''
      let lastEnd = 0
      let search = 0
      while (search <= input.length) {
        const m = exec(input, search)
        if (m === null) break
        out += input.slice(lastEnd, m[0])
        // No replacement for an empty match right after the previous match (Go's rule).
        if (m[1]! > lastEnd || m[0] === 0) out += expandTemplate(template, input, m, names)
        lastEnd = m[1]!
        const width = search < input.length && input.codePointAt(search)! > 0xffff ? 2 : 1
        search = search + width > m[1]! ? search + width : m[1]!
      }
      return out + input.slice(lastEnd)
    },
  }
}

function collectNames(node: ReNode, names: string[]): void {
  if (node.t === 'concat') {
    if (node.cap) names[node.cap.index] = node.cap.name
    for (const item of node.items) collectNames(item, names)
  } else if (node.t === 'alt') for (const item of node.items) collectNames(item, names)
  else if (node.t === 'repeat') collectNames(node.body, names)
}
