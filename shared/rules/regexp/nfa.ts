/**
 * A linear-time matcher for the parsed Go regexps that a backtracking engine could take
 * super-linear time on (./safety.ts decides which). It simulates the pattern's automaton over
 * the input, all threads in step (Thompson's construction): time is O(input length × pattern
 * size) whatever the input, like Go's own engine. It only answers "is there a match anywhere",
 * which is all a matcher needs.
 *
 * @module
 */
import { classBody, escapeCp } from './to-js.ts'
import type { ReNode } from './syntax.ts'

/** Largest automaton built (counted repeats are unrolled); Go's own limit is far higher. */
export const MAX_PROGRAM = 20_000

export class ProgramTooLargeError extends Error {}

/**
 * Work one match may do: automaton states × input characters (the Thompson simulation visits at
 * most every state per character), each character counted as PER_CHARACTER more states for the
 * simulation's own work on it. About 20 ms on these machines for the worst pattern; an input
 * longer than maxMatchInput(states) is not matched at all (see ./compile.ts), so no route
 * author's regexp keeps the isolate busy longer than that per match. Engine-neutral: any
 * linear-time engine's program size stands in for `states`.
 */
export const MATCH_WORK_BUDGET = 2 ** 20
const PER_CHARACTER = 16

/** How many instructions compileProgram builds for `node`, without building them (counted repeats unrolled). */
export function programSize(node: ReNode): number {
  switch (node.t) {
    case 'lit':
    case 'class':
    case 'any':
    case 'bol':
    case 'eol':
    case 'wordb':
      return 1
    case 'empty':
      return 0
    case 'concat':
      return node.items.reduce((n, item) => n + programSize(item), node.cap ? 2 : 0)
    case 'alt':
      return node.items.reduce((n, item) => n + programSize(item), 1)
    case 'repeat': {
      const body = programSize(node.body)
      return (node.max === -1 ? 1 + body : (node.max - node.min) * (1 + body)) + node.min * body
    }
  }
}

/** The longest input a match of a program of `states` instructions may run on. */
export function maxMatchInput(states: number): number {
  return Math.floor(MATCH_WORK_BUDGET / (states + PER_CHARACTER))
}

export type CharTest = (cp: number) => boolean
export type AssertKind = 'bot' | 'bol' | 'eot' | 'eol' | 'wordb' | 'nwordb'

export type Inst =
  | { op: 'char'; test: CharTest; next: number }
  /** Targets in priority order (greedy repeats try the body first), which submatches need. */
  | { op: 'split'; to: number[] }
  | { op: 'assert'; kind: AssertKind; next: number }
  /** Records the position in a capture slot (only for trees parsed with captures). */
  | { op: 'save'; slot: number; next: number }
  | { op: 'match' }

const isWord = (cp: number) =>
  (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || cp === 0x5f || (cp >= 0x61 && cp <= 0x7a)

export interface LinearMatcher {
  test(input: string): boolean
}

export function compileNfa(node: ReNode): LinearMatcher {
  const { prog, start } = compileProgram(node)
  return { test: (input) => run(prog, start, input) }
}

/** The automaton of a parsed regexp: instruction 0 is the match, `start` the entry. */
export function compileProgram(node: ReNode): { prog: Inst[]; start: number } {
  const prog: Inst[] = [{ op: 'match' }]
  const push = (inst: Inst): number => {
    if (prog.length >= MAX_PROGRAM) throw new ProgramTooLargeError(`more than ${MAX_PROGRAM} states once counted repeats are unrolled`)
    prog.push(inst)
    return prog.length - 1
  }
  // Built back to front: each piece is compiled knowing where it continues.
  const compile = (n: ReNode, next: number): number => {
    switch (n.t) {
      case 'lit':
      case 'class':
      case 'any':
        return push({ op: 'char', test: charTest(n), next })
      case 'bol':
        return push({ op: 'assert', kind: n.multi ? 'bol' : 'bot', next })
      case 'eol':
        return push({ op: 'assert', kind: n.multi ? 'eol' : 'eot', next })
      case 'wordb':
        return push({ op: 'assert', kind: n.neg ? 'nwordb' : 'wordb', next })
      case 'empty':
        return next
      case 'concat': {
        let at = n.cap ? push({ op: 'save', slot: n.cap.index * 2 + 1, next }) : next
        for (let i = n.items.length - 1; i >= 0; i--) at = compile(n.items[i]!, at)
        return n.cap ? push({ op: 'save', slot: n.cap.index * 2, next: at }) : at
      }
      case 'alt':
        return push({ op: 'split', to: n.items.map((item) => compile(item, next)) })
      case 'repeat': {
        const order = (body: number, out: number) => (n.greedy ? [body, out] : [out, body])
        let at: number
        if (n.max === -1) {
          const loop: Inst = { op: 'split', to: [] }
          at = push(loop)
          loop.to = order(compile(n.body, at), next)
        } else {
          at = next
          for (let i = n.min; i < n.max; i++) at = push({ op: 'split', to: order(compile(n.body, at), next) })
        }
        for (let i = 0; i < n.min; i++) at = compile(n.body, at)
        return at
      }
    }
  }
  return { prog, start: compile(node, 0) }
}

export function charTest(n: Extract<ReNode, { t: 'lit' | 'class' | 'any' }>): CharTest {
  if (n.t === 'any') return n.nl ? () => true : (cp) => cp !== 10
  if (n.t === 'lit' && !n.fold) {
    const c = n.cp
    return (cp) => cp === c
  }
  // Case folding and Unicode properties are JavaScript's (the same simple folding Go uses);
  // one tiny RegExp per character set decides, with a table for ASCII.
  const source = n.t === 'lit' ? escapeCp(n.cp) : `[${n.negate ? '^' : ''}${classBody(n)}]`
  const re = new RegExp(`^${source}$`, n.fold ? 'iu' : 'u')
  const ascii = new Uint8Array(128)
  for (let cp = 0; cp < 128; cp++) ascii[cp] = re.test(String.fromCharCode(cp)) ? 1 : 0
  return (cp) => (cp < 128 ? ascii[cp] === 1 : re.test(String.fromCodePoint(cp)))
}

function run(prog: Inst[], start: number, input: string): boolean {
  const seen = new Uint32Array(prog.length)
  let gen = 0
  let pending: number[] = []
  let next: number[] = []
  const stack: number[] = []
  const chars: number[] = []
  let prev = -1
  for (let pos = 0; ; ) {
    const cp = pos < input.length ? input.codePointAt(pos)! : -1
    gen++
    chars.length = 0
    // Every position may start a match (Go's MatchString is unanchored).
    stack.push(start)
    for (const pc of pending) stack.push(pc)
    while (stack.length > 0) {
      const pc = stack.pop()!
      if (seen[pc] === gen) continue
      seen[pc] = gen
      const inst = prog[pc]!
      switch (inst.op) {
        case 'match':
          return true
        case 'char':
          chars.push(pc)
          break
        case 'split':
          for (let i = inst.to.length - 1; i >= 0; i--) stack.push(inst.to[i]!)
          break
        case 'assert':
          if (holds(inst.kind, prev, cp)) stack.push(inst.next)
          break
        case 'save':
          stack.push(inst.next)
          break
      }
    }
    if (cp === -1) return false
    next.length = 0
    for (const pc of chars) {
      const inst = prog[pc] as Extract<Inst, { op: 'char' }>
      if (inst.test(cp)) next.push(inst.next)
    }
    ;[pending, next] = [next, pending]
    prev = cp
    pos += cp > 0xffff ? 2 : 1
  }
}

export function holds(kind: AssertKind, prev: number, cur: number): boolean {
  switch (kind) {
    case 'bot':
      return prev === -1
    case 'eot':
      return cur === -1
    case 'bol':
      return prev === -1 || prev === 10
    case 'eol':
      return cur === -1 || cur === 10
    case 'wordb':
      return isWord(prev) !== isWord(cur)
    case 'nwordb':
      return isWord(prev) === isWord(cur)
  }
}
