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

/**
 * Whether the translation means what Go means. Not for a negated Unicode property under `(?i)`:
 * Go folds the property and then negates it, JavaScript's `u` mode negates and then folds (so
 * `/\P{Lu}/iu` matches `a`). Not for `\B`: V8 also tries it between the two halves of a
 * surrogate pair (`/\B/u` matches in `a🦭a`).
 */
export function isTranslatable(node: ReNode): boolean {
  switch (node.t) {
    case 'wordb':
      return !node.neg
    case 'class':
      return !(node.fold && node.props.some((p) => p.neg))
    case 'concat':
    case 'alt':
      return node.items.every(isTranslatable)
    case 'repeat':
      return isTranslatable(node.body)
    default:
      return true
  }
}

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
      // V8 does not fold a lone ſ or Kelvin sign inside a `(?i:...)` group; a class it does.
      return caseMode(node.fold && node.cp >= 0x80 ? `[${escapeCp(node.cp)}]` : escapeCp(node.cp), node.fold, fold)
    case 'class': {
      const body = classBody(node)
      // An empty class matches nothing, an empty negated class everything.
      const cls = body === '' ? (node.negate ? '[^]' : '[]') : `[${node.negate ? '^' : ''}${body}]`
      return caseMode(cls, node.fold, fold)
    }
    case 'any':
      return node.nl ? '[^]' : '[^\\n]'
    // Line starts and ends as positive lookarounds: V8 also tries a match between the two halves
    // of a surrogate pair, where it reads no character either way (`/(?![^\n])/u` matches there).
    case 'bol':
      return node.multi ? '(?<=^|\\n)' : '^'
    case 'eol':
      return node.multi ? '(?=$|\\n)' : '$'
    case 'wordb': {
      // Go's \b is ASCII; JavaScript's, case-insensitive in `u` mode, also counts ſ and the Kelvin sign.
      const b = node.neg ? '\\B' : '\\b'
      return fold ? `(?-i:${b})` : b
    }
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
