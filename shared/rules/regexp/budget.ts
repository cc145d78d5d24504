/**
 * What a Go regexp may cost: the size of its automaton, known from the parsed tree before any
 * engine builds it (a 4 KB pattern of counted repeats unrolls to 600k instructions, which re2js
 * takes seconds to compile), and the work of one match.
 *
 * @module
 */
import { RegexpSyntaxError, type ReNode } from './syntax.ts'

/** Largest automaton built (counted repeats are unrolled); Go's own limit is far higher. */
export const MAX_PROGRAM = 20_000

/** Refuses a program of more than MAX_PROGRAM instructions, before any engine builds it. */
export function refuseTooLarge(states: number): void {
  if (states > MAX_PROGRAM) throw new RegexpSyntaxError(0, `expression too large: more than ${MAX_PROGRAM} states once counted repeats are unrolled`)
}

/**
 * Work one match may do: automaton states × input characters (a Thompson simulation visits at
 * most every state per character), each character counted as PER_CHARACTER more states for the
 * engine's own work on it. An input longer than maxMatchInput(states) is not matched at all (see
 * ./compile.ts), so no route author's regexp keeps the isolate busy for long on one match.
 * Engine-neutral: any linear-time engine's program size stands in for `states`.
 */
export const MATCH_WORK_BUDGET = 2 ** 20
const PER_CHARACTER = 16

/** The automaton's instructions for `node`, counted without building them (counted repeats unrolled). */
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
