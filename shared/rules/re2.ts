/**
 * Go RE2 pattern to JavaScript RegExp. Translates what has a JS equivalent (leading inline
 * flags, `(?P<name>`, `\A`, `\z`, POSIX classes, `\Q..\E`, literal `{`) and rejects, with the
 * offending offset, what has none or what RE2 itself rejects (lookaround, backreferences, `(?U)`,
 * `\pX`). JS engines backtrack while RE2 does not, so nested unbounded repeats (`(a+)+`) are
 * rejected too: they are the patterns that can take exponential time.
 *
 * @module
 */

export class Re2Error extends Error {
  readonly offset: number
  constructor(offset: number, message: string) {
    super(message)
    this.name = 'Re2Error'
    this.offset = offset
  }
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ', upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
}

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')

interface Group {
  /** Whether the group (or anything inside it) holds an unbounded repeat. */
  unbounded: boolean
}

export function translateRe2(pattern: string): RegExp {
  let flags = ''
  let i = 0
  const lead = /^\(\?([imsU]+)\)/.exec(pattern)
  if (lead?.[1] !== undefined) {
    if (lead[1].includes('U')) throw new Re2Error(0, 'the (?U) ungreedy flag has no JavaScript equivalent')
    flags = [...new Set(lead[1])].join('')
    i = lead[0].length
  }
  let out = ''
  const stack: Group[] = [{ unbounded: false }]
  const markUnbounded = (): void => {
    const top = stack[stack.length - 1]
    if (top !== undefined) top.unbounded = true
  }
  // What the last atom was, so a following quantifier can tell whether it nests repeats.
  let lastAtomUnbounded = false
  while (i < pattern.length) {
    const c = pattern[i]
    if (c === '\\') {
      const e = pattern[i + 1]
      if (e === undefined) throw new Re2Error(i, 'trailing backslash')
      if (e === 'A') out += '(?<![\\s\\S])'
      else if (e === 'z') out += '(?![\\s\\S])'
      else if (e === 'Q') {
        const end = pattern.indexOf('\\E', i + 2)
        const lit = pattern.slice(i + 2, end < 0 ? pattern.length : end)
        out += `(?:${escapeLiteral(lit)})`
        i = end < 0 ? pattern.length : end + 2
        lastAtomUnbounded = false
        continue
      } else if (/[1-9]/.test(e)) throw new Re2Error(i, 'backreferences are not supported by RE2')
      else if (e === 'p' || e === 'P') throw new Re2Error(i, 'Unicode classes (\\p) are not supported')
      else if (e === 'C') throw new Re2Error(i, '\\C is not supported')
      else if (/[a-zA-Z]/.test(e) && !/[dDsSwWbBfnrtvx]/.test(e)) {
        throw new Re2Error(i, `invalid escape \\${e}`)
      } else out += c + e
      i += 2
      lastAtomUnbounded = false
      continue
    }
    if (c === '[') {
      let j = i + 1
      let cls = '['
      if (pattern[j] === '^') {
        cls += '^'
        j++
      }
      if (pattern[j] === ']') {
        cls += '\\]'
        j++
      }
      while (j < pattern.length && pattern[j] !== ']') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(j))
        if (posix !== null) {
          const set = POSIX[posix[2] ?? '']
          if (set === undefined || posix[1] === '^') throw new Re2Error(j, `unsupported class ${posix[0]}`)
          cls += set
          j += posix[0].length
          continue
        }
        if (pattern[j] === '\\') {
          const e = pattern[j + 1] ?? ''
          if (e === 'p' || e === 'P') throw new Re2Error(j, 'Unicode classes (\\p) are not supported')
          cls += pattern.slice(j, j + 2)
          j += 2
          continue
        }
        cls += pattern[j] === '[' ? '\\[' : pattern[j]
        j++
      }
      if (j >= pattern.length) throw new Re2Error(i, 'missing closing ]')
      out += cls + ']'
      i = j + 1
      lastAtomUnbounded = false
      continue
    }
    if (c === '(') {
      const rest = pattern.slice(i)
      if (/^\(\?(=|!|<=|<!)/.test(rest)) throw new Re2Error(i, 'lookaround is not supported by RE2')
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest)
      const modifier = /^\(\?([ims]*)(-[ims]*)?(:|\))/.exec(rest)
      if (named !== null) {
        out += `(?<${named[1]}>`
        i += named[0].length
      } else if (rest.startsWith('(?:')) {
        out += '(?:'
        i += 3
      } else if (modifier !== null && modifier[3] === ':') {
        out += modifier[0]
        i += modifier[0].length
      } else if (rest.startsWith('(?')) {
        throw new Re2Error(i, 'inline flags are only translatable at the start of the pattern or as (?flags:...)')
      } else {
        out += '('
        i++
      }
      stack.push({ unbounded: false })
      continue
    }
    if (c === ')') {
      const g = stack.pop()
      if (g === undefined || stack.length === 0) throw new Re2Error(i, 'unexpected )')
      out += ')'
      i++
      lastAtomUnbounded = g.unbounded
      if (g.unbounded) markUnbounded()
      continue
    }
    const repeat = c === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i)) : null
    if (c === '*' || c === '+' || c === '?' || repeat !== null) {
      const max = repeat === null ? undefined : repeat[2] === undefined ? repeat[1] : repeat[3]
      if (repeat !== null && (Number(repeat[1]) > 1000 || (max !== '' && max !== undefined && Number(max) > 1000))) {
        throw new Re2Error(i, 'repeat count above 1000')
      }
      const unbounded = c === '*' || c === '+' || max === ''
      if (unbounded && lastAtomUnbounded) {
        throw new Re2Error(i, 'nested unbounded repeats can backtrack catastrophically; rewrite the pattern')
      }
      const len = repeat === null ? 1 : repeat[0].length
      out += pattern.slice(i, i + len)
      i += len
      if (pattern[i] === '?') {
        out += '?'
        i++
      }
      if (unbounded) markUnbounded()
      lastAtomUnbounded = false
      continue
    }
    // RE2 reads a `{` that does not start a repeat as a literal.
    out += c === '{' || c === '}' ? `\\${c}` : c === '/' ? '\\/' : c
    i++
    lastAtomUnbounded = false
  }
  if (stack.length !== 1) throw new Re2Error(pattern.length, 'missing closing )')
  try {
    return new RegExp(out, flags)
  } catch (e) {
    throw new Re2Error(0, `not a valid regular expression: ${(e as Error).message}`)
  }
}
