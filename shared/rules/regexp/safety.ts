/**
 * Which parsed Go regexps a backtracking engine (JavaScript's) runs in time linear in the input.
 * Go's engine never backtracks, so the same pattern must not become a denial of service at the
 * edge. The test is conservative; whatever fails it goes to re2js (./linear.ts).
 *
 * A pattern passes when every repetition that can match more than once
 *  - sits in the pattern's top-level sequence (not inside an alternation or another repetition),
 *  - repeats a single character set or a fixed string,
 *  - cannot give back characters that what follows it could take (its first characters and
 *    the first characters of what follows are disjoint), so it never backtracks more than one
 *    step per character,
 * and, if any repetition is unbounded, the pattern is anchored at the start of the text (else
 * each of the n start positions could scan to the end: n² time).
 *
 * @module
 */
import { complementRanges, MAX_CP, normalizeRanges, type Ranges, type ReNode } from './syntax.ts'

const ALL: Ranges = [[0, MAX_CP]]

export function isBacktrackSafe(node: ReNode): boolean {
  const top = node.t === 'concat' ? node.items : [node]
  let unbounded = false
  for (let i = 0; i < top.length; i++) {
    const item = top[i]!
    if (item.t !== 'repeat') {
      if (containsRepeat(item)) return false
      continue
    }
    if (item.max === 0 || item.max === 1) {
      if (containsRepeat(item.body)) return false
      continue
    }
    if (item.max === -1) unbounded = true
    if (!isFixed(item.body)) return false
    const body = first(item.body).set
    const follow = firstOfSequence(top.slice(i + 1))
    if (intersects(body, follow)) return false
  }
  const anchored = top[0]?.t === 'bol' && !top[0].multi
  return !unbounded || anchored
}

/** Whether a repetition that may match more than once sits anywhere in the node. */
function containsRepeat(node: ReNode): boolean {
  switch (node.t) {
    case 'repeat':
      return node.max !== 0 && node.max !== 1 ? true : containsRepeat(node.body)
    case 'concat':
    case 'alt':
      return node.items.some(containsRepeat)
    default:
      return false
  }
}

/** A single character set or a fixed sequence of them. */
function isFixed(node: ReNode): boolean {
  if (node.t === 'lit' || node.t === 'class' || node.t === 'any') return true
  return node.t === 'concat' && node.items.every((n) => n.t === 'lit' || n.t === 'class' || n.t === 'any')
}

/** The characters a node's match can start with, and whether it can match the empty string. */
function first(node: ReNode): { set: Ranges; nullable: boolean } {
  switch (node.t) {
    case 'lit':
      return { set: node.fold ? foldRanges([[node.cp, node.cp]]) : [[node.cp, node.cp]], nullable: false }
    case 'class': {
      if (node.props.length > 0) return { set: ALL, nullable: false }
      const set = node.negate ? complementRanges(node.ranges) : node.ranges
      return { set: node.fold ? foldRanges(set) : set, nullable: false }
    }
    case 'any':
      return { set: ALL, nullable: false }
    case 'bol':
    case 'eol':
    case 'wordb':
    case 'empty':
      return { set: [], nullable: true }
    case 'concat':
      return { set: firstOfSequence(node.items), nullable: node.items.every((n) => first(n).nullable) }
    case 'alt': {
      const parts = node.items.map(first)
      return { set: normalizeRanges(parts.flatMap((p) => p.set)), nullable: parts.some((p) => p.nullable) }
    }
    case 'repeat': {
      const body = first(node.body)
      return { set: body.set, nullable: node.min === 0 || body.nullable }
    }
  }
}

function firstOfSequence(items: ReNode[]): Ranges {
  const out: Ranges = []
  for (const item of items) {
    const f = first(item)
    out.push(...f.set)
    if (!f.nullable) break
  }
  return normalizeRanges(out)
}

/** Adds the other case of ASCII letters; anything beyond ASCII may fold in ways not modelled. */
function foldRanges(set: Ranges): Ranges {
  if (set.some(([, hi]) => hi >= 0x80)) return ALL
  const out: Ranges = [...set]
  for (const [lo, hi] of set) {
    for (let cp = lo; cp <= hi; cp++) {
      if (cp >= 0x41 && cp <= 0x5a) out.push([cp + 32, cp + 32])
      else if (cp >= 0x61 && cp <= 0x7a) out.push([cp - 32, cp - 32])
      // k and s fold to the Kelvin sign and the long s.
      if (cp === 0x4b || cp === 0x6b || cp === 0x53 || cp === 0x73) return ALL
    }
  }
  return normalizeRanges(out)
}

function intersects(a: Ranges, b: Ranges): boolean {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!
    const [blo, bhi] = b[j]!
    if (alo <= bhi && blo <= ahi) return true
    if (ahi < bhi) i++
    else j++
  }
  return false
}
