/**
 * Go regexps with submatches, for the middlewares that rewrite with them (redirectRegex,
 * replacePathRegex, stripPrefixRegex): FindStringSubmatchIndex and ReplaceAllString with Go's
 * leftmost-first semantics. A Pike VM (Thompson's automaton carrying capture positions, threads
 * in priority order), so a match costs O(input × pattern) on every pattern, as in Go: these
 * run on URLs the client chose.
 *
 * @module
 */
import { expandTemplate } from './expand.ts'
import { compileProgram, holds, maxMatchInput, ProgramTooLargeError, type Inst } from './nfa.ts'
import { parseRe2, RegexpSyntaxError, type ReNode } from './syntax.ts'

interface Thread {
  pc: number
  caps: Int32Array
}

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
  /** The longest input a search runs on (./nfa.ts MATCH_WORK_BUDGET): a longer one has no match. */
  readonly maxInput: number
}

/** Compiles a Go regexp for submatching. Throws RegexpSyntaxError. */
export function compileGoSubmatch(pattern: string): GoSubmatchRegexp {
  const tree = parseRe2(pattern, { captures: true })
  const names: string[] = ['']
  collectNames(tree, names)
  const ncap = names.length * 2
  let prog: Inst[]
  let start: number
  try {
    // Slots 0 and 1 hold the whole match: the tree as capture group 0.
    ;({ prog, start } = compileProgram({ t: 'concat', items: [tree], cap: { index: 0, name: '' } }))
  } catch (e) {
    if (e instanceof ProgramTooLargeError) throw new RegexpSyntaxError(0, `expression too large: ${e.message}`)
    throw e
  }
  // Inputs come from clients and patterns from route authors: the work of a search is bounded.
  const maxInput = maxMatchInput(prog.length)
  const exec = (input: string, from = 0) => (input.length - from > maxInput ? null : run(prog, start, ncap, input, from))
  return {
    groups: names.length - 1,
    names,
    maxInput,
    exec,
    test: (input) => exec(input) !== null,
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

function run(prog: Inst[], start: number, ncap: number, input: string, from: number): Int32Array | null {
  const seen = new Uint32Array(prog.length)
  let gen = 1
  let matched: Int32Array | null = null
  let clist: Thread[] = []
  let nlist: Thread[] = []
  const stack: Thread[] = []
  const empty = new Int32Array(ncap).fill(-1)
  // Epsilon closure of pc at pos, appended to list in priority order (depth first).
  const add = (list: Thread[], pc: number, caps: Int32Array, pos: number, prev: number, cur: number) => {
    stack.push({ pc, caps })
    while (stack.length > 0) {
      const t = stack.pop()!
      if (seen[t.pc] === gen) continue
      seen[t.pc] = gen
      const inst = prog[t.pc]!
      switch (inst.op) {
        case 'split':
          for (let i = inst.to.length - 1; i >= 0; i--) stack.push({ pc: inst.to[i]!, caps: t.caps })
          break
        case 'assert':
          if (holds(inst.kind, prev, cur)) stack.push({ pc: inst.next, caps: t.caps })
          break
        case 'save': {
          const caps = t.caps.slice()
          caps[inst.slot] = pos
          stack.push({ pc: inst.next, caps })
          break
        }
        default:
          list.push(t)
      }
    }
  }
  let pos = from
  let prev = from > 0 ? codePointBefore(input, from) : -1
  for (;;) {
    const cur = pos < input.length ? input.codePointAt(pos)! : -1
    // A new thread may start here until something matched (the search is unanchored).
    if (matched === null) add(clist, start, empty, pos, prev, cur)
    if (clist.length === 0 && (matched !== null || cur === -1)) break
    const width = cur > 0xffff ? 2 : 1
    const after = pos + width < input.length ? input.codePointAt(pos + width)! : -1
    gen++
    nlist.length = 0
    for (const t of clist) {
      const inst = prog[t.pc]!
      if (inst.op === 'match') {
        // Leftmost-first: threads after this one have lower priority and are dropped.
        matched = t.caps
        break
      }
      if (inst.op === 'char' && cur !== -1 && inst.test(cur)) add(nlist, inst.next, t.caps, pos + width, cur, after)
    }
    if (cur === -1) break
    ;[clist, nlist] = [nlist, clist]
    prev = cur
    pos += width
  }
  return matched
}

function codePointBefore(input: string, at: number): number {
  const low = input.charCodeAt(at - 1)
  if (low >= 0xdc00 && low <= 0xdfff && at >= 2) {
    const high = input.charCodeAt(at - 2)
    if (high >= 0xd800 && high <= 0xdbff) return input.codePointAt(at - 2)!
  }
  return low
}
