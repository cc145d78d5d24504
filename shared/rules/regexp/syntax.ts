/**
 * Go's regexp syntax (RE2, as `regexp.Compile` accepts it), parsed into a small tree for the
 * translation to a JavaScript RegExp (./to-js.ts) and for sizing a pattern before re2js builds it
 * (./budget.ts); kept by hand for those (re2js exposes no parse tree), and checked against
 * re2js's parser by a property test. Everything Go rejects is rejected here with its offset:
 * backreferences, lookaround, nested repetition operators (`a**`, `a++`), repeat counts above
 * 1000, unknown escapes, classes and flags; and, as re2js does, duplicate group names (Go accepts them).
 *
 * Flags (`i`, `m`, `s`, `U`, anywhere in the pattern) are resolved while parsing: each node
 * carries the effect of the flags in force where it was written.
 *
 * @module
 */

/** Inclusive code point ranges, sorted and merged. */
export type Ranges = Array<[number, number]>

export interface UnicodeProperty {
  /** The JavaScript property: a general category (`Lu`) or `Script=Greek`. */
  name: string
  neg: boolean
}

export type ReNode =
  | { t: 'lit'; cp: number; fold: boolean }
  | { t: 'class'; ranges: Ranges; props: UnicodeProperty[]; negate: boolean; fold: boolean }
  /** `.`; `nl` when it also matches a newline (flag s). */
  | { t: 'any'; nl: boolean }
  /** Start of text (`\A`, `^`), or of a line under flag m. */
  | { t: 'bol'; multi: boolean }
  | { t: 'eol'; multi: boolean }
  | { t: 'wordb'; neg: boolean }
  /** `cap` marks a capturing group (only when parsed with `captures`; matching ignores it). */
  | { t: 'concat'; items: ReNode[]; cap?: { index: number; name: string } }
  | { t: 'alt'; items: ReNode[] }
  /** `max` -1 is unbounded. */
  | { t: 'repeat'; body: ReNode; min: number; max: number; greedy: boolean }
  | { t: 'empty' }

export class RegexpSyntaxError extends Error {
  /** Offset in the pattern (UTF-16 units). */
  readonly offset: number
  constructor(offset: number, message: string) {
    super(message)
    this.name = 'RegexpSyntaxError'
    this.offset = offset
  }
}

interface Flags {
  i: boolean
  m: boolean
  s: boolean
  U: boolean
}

const MAX_REPEAT = 1000
const MAX_DEPTH = 1000
export const MAX_CP = 0x10ffff

const PERL: Record<string, Ranges> = {
  d: [[0x30, 0x39]],
  s: [
    [9, 10],
    [12, 13],
    [32, 32],
  ],
  w: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
}

const POSIX: Record<string, Ranges> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0, 0x7f]],
  blank: [
    [9, 9],
    [32, 32],
  ],
  cntrl: [
    [0, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [9, 13],
    [32, 32],
  ],
  upper: [[0x41, 0x5a]],
  word: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x5f, 0x5f],
    [0x61, 0x7a],
  ],
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
}

/** Go's Unicode general categories (its `\p{..}` also takes script names and `Any`). */
const CATEGORIES = new Set('C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '))

export function normalizeRanges(ranges: Ranges): Ranges {
  const sorted = ranges.map((r): [number, number] => [r[0], r[1]]).sort((a, b) => a[0] - b[0])
  const out: Ranges = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1])
    else out.push(r)
  }
  return out
}

/**
 * An ASCII set with its case-folded counterparts: the other case, and the two non-ASCII letters
 * that fold into ASCII (U+017F ſ with s, U+212A Kelvin sign with k). Go folds a negated Perl or
 * POSIX class before negating it, so `(?i)\W` matches neither.
 */
function foldAscii(ranges: Ranges): Ranges {
  const out: Ranges = [...ranges]
  for (const [lo, hi] of ranges) {
    for (let cp = lo; cp <= Math.min(hi, 0x7f); cp++) {
      const lower = cp | 0x20
      if (lower < 0x61 || lower > 0x7a) continue
      out.push([cp ^ 0x20, cp ^ 0x20])
      if (lower === 0x73) out.push([0x17f, 0x17f])
      if (lower === 0x6b) out.push([0x212a, 0x212a])
    }
  }
  return normalizeRanges(out)
}

export function complementRanges(ranges: Ranges): Ranges {
  const out: Ranges = []
  let next = 0
  for (const [lo, hi] of normalizeRanges(ranges)) {
    if (lo > next) out.push([next, lo - 1])
    next = hi + 1
  }
  if (next <= MAX_CP) out.push([next, MAX_CP])
  return out
}

export interface ParseOptions {
  /** Keep capturing groups as `cap` nodes, numbered as Go numbers them (for submatches). */
  captures?: boolean
}

/** Parses a Go regexp. Throws RegexpSyntaxError. */
export function parseRe2(pattern: string, options: ParseOptions = {}): ReNode {
  let pos = 0
  const names = new Set<string>()
  let groups = 0
  const fail = (at: number, message: string): never => {
    throw new RegexpSyntaxError(at, message)
  }
  const cpAt = (at: number): number => {
    const cp = pattern.codePointAt(at)!
    if (cp >= 0xd800 && cp <= 0xdfff) fail(at, 'invalid UTF-8')
    return cp
  }
  const width = (cp: number) => (cp > 0xffff ? 2 : 1)
  const seq = (items: ReNode[]): ReNode => (items.length === 0 ? { t: 'empty' } : items.length === 1 ? items[0]! : { t: 'concat', items })

  /** A group's body up to its `)` (or the end of the pattern at top level). */
  const parseAlternation = (flags: Flags, depth: number, openAt: number): ReNode => {
    if (depth > MAX_DEPTH) fail(openAt, 'expression nests too deeply')
    const branches: ReNode[] = []
    let items: ReNode[] = []
    let lastWasRepeat = false
    // Flags set by `(?i)` last until the group closes, across `|` too.
    const f: Flags = { ...flags }
    for (;;) {
      if (pos >= pattern.length) {
        if (depth > 0) fail(openAt, 'missing closing )')
        break
      }
      const start = pos
      const c = pattern[pos]!
      if (c === ')') {
        if (depth === 0) fail(pos, 'unexpected )')
        break
      }
      if (c === '|') {
        pos++
        branches.push(seq(items))
        items = []
        lastWasRepeat = false
        continue
      }
      if (c === '*' || c === '+' || c === '?' || c === '{') {
        let min: number
        let max: number
        if (c === '{') {
          const rep = parseRepeatCount(pos)
          if (rep === null) {
            // RE2 reads a `{` that does not start a repeat as a literal.
            items.push({ t: 'lit', cp: 0x7b, fold: false })
            pos++
            lastWasRepeat = false
            continue
          }
          min = rep.min
          max = rep.max
          pos = rep.end
        } else {
          min = c === '+' ? 1 : 0
          max = c === '?' ? 1 : -1
          pos++
        }
        let greedy = true
        if (pattern[pos] === '?') {
          greedy = false
          pos++
        }
        if (f.U) greedy = !greedy
        const operator = pattern.slice(start, pos)
        if (lastWasRepeat) fail(start, `invalid nested repetition operator: \`${operator}\``)
        const body = items.pop()
        if (body === undefined) return fail(start, `missing argument to repetition operator: \`${operator}\``)
        items.push({ t: 'repeat', body, min, max, greedy })
        lastWasRepeat = true
        continue
      }
      lastWasRepeat = false
      if (c === '(') {
        let inner = f
        let name: string | null = ''
        if (pattern[pos + 1] === '?') {
          const group = parseGroupPrefix(f)
          if (group.setFlags) {
            Object.assign(f, group.flags)
            continue
          }
          inner = group.flags
          name = group.name
        } else {
          pos++
        }
        const index = name === null ? 0 : ++groups
        const body = parseAlternation(inner, depth + 1, start)
        items.push(options.captures && index > 0 ? { t: 'concat', items: [body], cap: { index, name: name! } } : body)
        pos++ // the ')'
        continue
      }
      if (c === '[') {
        items.push(parseClass(f))
        continue
      }
      if (c === '.' || c === '^' || c === '$') {
        pos++
        items.push(c === '.' ? { t: 'any', nl: f.s } : c === '^' ? { t: 'bol', multi: f.m } : { t: 'eol', multi: f.m })
        continue
      }
      if (c === '\\') {
        const next = pattern[pos + 1]
        if (next === 'A' || next === 'z') {
          pos += 2
          items.push(next === 'A' ? { t: 'bol', multi: false } : { t: 'eol', multi: false })
          continue
        }
        if (next === 'b' || next === 'B') {
          pos += 2
          items.push({ t: 'wordb', neg: next === 'B' })
          continue
        }
        if (next === 'Q') {
          pos += 2
          const end = pattern.indexOf('\\E', pos)
          const text = end < 0 ? pattern.slice(pos) : pattern.slice(pos, end)
          for (const ch of text) {
            const cp = ch.codePointAt(0)!
            if (cp >= 0xd800 && cp <= 0xdfff) fail(pos, 'invalid UTF-8')
            items.push({ t: 'lit', cp, fold: f.i })
          }
          pos = end < 0 ? pattern.length : end + 2
          continue
        }
        const cls = parseClassEscape(f.i)
        if (cls) {
          items.push({ t: 'class', ranges: cls.ranges, props: cls.props, negate: false, fold: f.i })
          continue
        }
        items.push({ t: 'lit', cp: parseEscape(), fold: f.i })
        continue
      }
      const cp = cpAt(pos)
      pos += width(cp)
      items.push({ t: 'lit', cp, fold: f.i })
    }
    branches.push(seq(items))
    return branches.length === 1 ? branches[0]! : { t: 'alt', items: branches }
  }

  /** `{n}`, `{n,}` or `{n,m}` at `at`; null when it is not one (then `{` is a literal). */
  const parseRepeatCount = (at: number): { min: number; max: number; end: number } | null => {
    const m = /^\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}/.exec(pattern.slice(at, at + 24))
    if (!m) return null
    const min = Number(m[1])
    const max = m[2] === undefined ? min : m[3] === undefined ? -1 : Number(m[3])
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && max < min)) fail(at, `invalid repeat count: \`${m[0]}\``)
    return { min, max, end: at + m[0].length }
  }

  /** After `(?`: flags, a non-capturing group with flags (name null), or a named group. */
  const parseGroupPrefix = (f: Flags): { flags: Flags; setFlags: boolean; name: string | null } => {
    const start = pos
    const rest = pattern.slice(pos + 2, pos + 2 + 256)
    if (/^(?:=|!|<=|<!)/.test(rest)) fail(start, `lookaround is not supported by Go regexps: \`${pattern.slice(start, start + 4)}\``)
    if (rest.startsWith('P<') || rest.startsWith('<')) {
      const named = /^P?<([^>]*)>/.exec(rest)
      const name = named?.[1]
      if (named === null || name === undefined || !/^[A-Za-z0-9_]+$/.test(name)) {
        fail(start, `invalid named capture: \`${pattern.slice(start, start + 2 + (named?.[0].length ?? 2))}\``)
      }
      if (names.has(name!)) fail(start, `duplicate capture group name: \`${name}\``)
      names.add(name!)
      pos += 2 + named![0].length
      return { flags: f, setFlags: false, name: name! }
    }
    const m = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest)
    // `(?)` sets no flag and is accepted (as Go does); a `-` needs a flag after it.
    if (m === null || m[2] === '') {
      fail(start, `invalid or unsupported Perl syntax: \`${pattern.slice(start, start + 3)}\``)
    }
    const next: Flags = { ...f }
    for (const ch of m![1]!) next[ch as keyof Flags] = true
    for (const ch of m![2] ?? '') next[ch as keyof Flags] = false
    pos += 2 + m![0].length
    return { flags: next, setFlags: m![3] === ')', name: null }
  }

  /** The items of a `\d`-like or `\p`-like escape at pos, or null for any other escape. */
  const parseClassEscape = (fold: boolean): { ranges: Ranges; props: UnicodeProperty[] } | null => {
    const e = pattern[pos + 1]
    if (e === undefined) return null
    const lower = e.toLowerCase()
    const perl = PERL[lower]
    if (perl !== undefined && (e === lower || e === lower.toUpperCase())) {
      pos += 2
      return { ranges: e === lower ? perl : complementRanges(fold ? foldAscii(perl) : perl), props: [] }
    }
    if (e !== 'p' && e !== 'P') return null
    const start = pos
    let name: string
    if (pattern[pos + 2] === '{') {
      const end = pattern.indexOf('}', pos + 3)
      if (end < 0) fail(start, `invalid character class range: \`${pattern.slice(start, start + 12)}\``)
      name = pattern.slice(pos + 3, end)
      pos = end + 1
    } else {
      if (pos + 2 >= pattern.length) fail(start, 'invalid character class range: `\\p`')
      const cp = cpAt(pos + 2)
      name = String.fromCodePoint(cp)
      pos += 2 + width(cp)
    }
    let neg = e === 'P'
    if (name.startsWith('^')) {
      neg = !neg
      name = name.slice(1)
    }
    const prop = unicodeProperty(name)
    if (prop === null) return fail(start, `invalid character class range: \`${pattern.slice(start, pos)}\``)
    if (prop === 'Any') return { ranges: neg ? [] : [[0, MAX_CP]], props: [] }
    return { ranges: [], props: [{ name: prop, neg }] }
  }

  /** A single-character escape at pos (classes and assertions already ruled out). */
  const parseEscape = (): number => {
    const start = pos
    pos++
    if (pos >= pattern.length) fail(start, 'trailing backslash at end of expression')
    const c = pattern[pos]!
    if (c >= '1' && c <= '7' && !/[0-7]/.test(pattern[pos + 1] ?? '')) {
      fail(start, `invalid escape sequence: \`\\${c}\` (RE2 has no backreferences)`)
    }
    if (c >= '0' && c <= '7') {
      const m = /^[0-7]{1,3}/.exec(pattern.slice(pos, pos + 3))!
      pos += m[0].length
      return parseInt(m[0], 8)
    }
    if (c === 'x') {
      if (pattern[pos + 1] === '{') {
        const m = /^\{([0-9a-fA-F]{1,8})\}/.exec(pattern.slice(pos + 1, pos + 12))
        const v = m ? parseInt(m[1]!, 16) : NaN
        if (m === null || v > MAX_CP) fail(start, 'invalid escape sequence: `\\x{...}`')
        pos += 1 + m![0].length
        return v
      }
      const hex = pattern.slice(pos + 1, pos + 3)
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail(start, `invalid escape sequence: \`\\x${hex}\``)
      pos += 3
      return parseInt(hex, 16)
    }
    const simple = ({ a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 } as Record<string, number>)[c]
    if (simple !== undefined) {
      pos++
      return simple
    }
    const cp = cpAt(pos)
    // Any ASCII punctuation may be escaped; letters and digits only as listed above.
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) {
      pos++
      return cp
    }
    return fail(start, `invalid escape sequence: \`\\${String.fromCodePoint(cp)}\``)
  }

  const parseClass = (f: Flags): ReNode => {
    const start = pos
    pos++
    let negate = false
    if (pattern[pos] === '^') {
      negate = true
      pos++
    }
    const ranges: Ranges = []
    const props: UnicodeProperty[] = []
    // A `]` right after `[` or `[^` is a literal.
    let first = true
    for (;;) {
      if (pos >= pattern.length) fail(start, `missing closing ]: \`${pattern.slice(start, start + 20)}\``)
      const c = pattern[pos]!
      if (c === ']' && !first) {
        pos++
        break
      }
      first = false
      // Go reads `[:` up to the next `:]`, wherever it is, as a POSIX class, which must exist.
      const posixEnd = c === '[' && pattern[pos + 1] === ':' ? pattern.indexOf(':]', pos + 2) : -1
      if (posixEnd >= 0) {
        const name = pattern.slice(pos, posixEnd + 2)
        const m = /^\[:(\^?)([a-z]+):\]$/.exec(name)
        const set = m ? POSIX[m[2]!] : undefined
        if (set === undefined) fail(pos, `invalid character class range: \`${name}\``)
        ranges.push(...(m![1] ? complementRanges(f.i ? foldAscii(set!) : set!) : set!))
        pos += name.length
        continue
      }
      if (c === '\\') {
        const item = parseClassEscape(f.i)
        if (item) {
          ranges.push(...item.ranges)
          props.push(...item.props)
          continue
        }
      }
      const itemStart = pos
      const lo = classChar()
      if (pattern[pos] === '-' && pos + 1 < pattern.length && pattern[pos + 1] !== ']') {
        pos++
        if (pattern[pos] === '\\' && /[dDsSwWpP]/.test(pattern[pos + 1] ?? '')) {
          fail(itemStart, `invalid character class range: \`${pattern.slice(itemStart, pos + 2)}\``)
        }
        const hi = classChar()
        if (hi < lo) fail(itemStart, `invalid character class range: \`${pattern.slice(itemStart, pos)}\``)
        ranges.push([lo, hi])
      } else {
        ranges.push([lo, lo])
      }
    }
    return { t: 'class', ranges: normalizeRanges(ranges), props, negate, fold: f.i }
  }

  const classChar = (): number => {
    if (pattern[pos] === '\\') return parseEscape()
    const cp = cpAt(pos)
    pos += width(cp)
    return cp
  }

  return parseAlternation({ i: false, m: false, s: false, U: false }, 0, 0)
}

const FOUR_LETTER_SCRIPTS = new Set(['Ahom', 'Cham', 'Lisu', 'Miao', 'Modi', 'Newa', 'Thai', 'Toto'])

/** The JavaScript property for Go's `\p{name}`, or null when Go does not know the name. */
function unicodeProperty(name: string): string | null {
  if (CATEGORIES.has(name) || name === 'Any') return name
  // Go knows scripts by their long names only (Greek, Old_Italic), never by their four-letter
  // aliases (Grek), which JavaScript also accepts.
  if (!/^[A-Z][a-z]+(?:_[A-Z][a-z]+)*$/.test(name)) return null
  if (name.length === 4 && !FOUR_LETTER_SCRIPTS.has(name)) return null
  try {
    new RegExp(`\\p{Script=${name}}`, 'u')
    return `Script=${name}`
  } catch {
    return null
  }
}
