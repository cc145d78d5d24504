/**
 * A parsed Go regexp as a JavaScript RegExp with the same matches. Always compiled with the `u`
 * flag (code points, like Go's UTF-8 matching); `.`, `^` and `$` are spelled so that they do not
 * depend on JavaScript's `s` and `m` flags, and case folding uses `i` for the whole pattern or
 * `(?i:...)` / `(?-i:...)` modifier groups where Go's `(?i)` covers only part of it. Captures
 * become non-capturing groups: matching only needs a yes or no.
 *
 * @module
 */
import type { ReNode } from './syntax.ts'

export function toJsSource(node: ReNode): { source: string; flags: string } {
  const folds = new Set<boolean>()
  collectFolds(node, folds)
  // One case mode for the whole pattern when every case-sensitive leaf agrees.
  const fold = folds.size === 1 && folds.has(true)
  return { source: emit(node, fold), flags: fold ? 'iu' : 'u' }
}

function collectFolds(node: ReNode, out: Set<boolean>): void {
  switch (node.t) {
    case 'lit':
    case 'class':
      out.add(node.fold)
      return
    case 'concat':
    case 'alt':
      for (const n of node.items) collectFolds(n, out)
      return
    case 'repeat':
      collectFolds(node.body, out)
      return
    default:
      return
  }
}

export function escapeCp(cp: number): string {
  if ((cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) {
    return String.fromCharCode(cp)
  }
  return `\\u{${cp.toString(16)}}`
}

/** The inside of a bracket class (no brackets). */
export function classBody(node: Extract<ReNode, { t: 'class' }>): string {
  let body = ''
  for (const [lo, hi] of node.ranges) body += lo === hi ? escapeCp(lo) : `${escapeCp(lo)}-${escapeCp(hi)}`
  for (const p of node.props) body += `\\${p.neg ? 'P' : 'p'}{${p.name}}`
  return body
}

function emit(node: ReNode, fold: boolean): string {
  switch (node.t) {
    case 'lit':
      return caseMode(escapeCp(node.cp), node.fold, fold)
    case 'class': {
      const body = classBody(node)
      // An empty class matches nothing, an empty negated class everything.
      const cls = body === '' ? (node.negate ? '[^]' : '[]') : `[${node.negate ? '^' : ''}${body}]`
      return caseMode(cls, node.fold, fold)
    }
    case 'any':
      return node.nl ? '[^]' : '[^\\n]'
    case 'bol':
      return node.multi ? '(?<![^\\n])' : '^'
    case 'eol':
      return node.multi ? '(?![^\\n])' : '$'
    case 'wordb':
      return node.neg ? '\\B' : '\\b'
    case 'empty':
      return '(?:)'
    case 'concat':
      return node.items.map((n) => emit(n, fold)).join('')
    case 'alt':
      return `(?:${node.items.map((n) => emit(n, fold)).join('|')})`
    case 'repeat': {
      const { min, max } = node
      const q =
        min === 0 && max === -1
          ? '*'
          : min === 1 && max === -1
            ? '+'
            : min === 0 && max === 1
              ? '?'
              : max === -1
                ? `{${min},}`
                : min === max
                  ? `{${min}}`
                  : `{${min},${max}}`
      return `(?:${emit(node.body, fold)})${q}${node.greedy ? '' : '?'}`
    }
  }
}

function caseMode(s: string, want: boolean, global: boolean): string {
  if (want === global) return s
  return want ? `(?i:${s})` : `(?-i:${s})`
}
