/**
 * Go's regexp template expansion (Regexp.Expand, used by ReplaceAllString): `$1`, `${1}`,
 * `$name`, `${name}`, `$$`. A bare name is as long as it can be (`$1x` is the group named
 * "1x", so empty); a group that does not exist or did not take part gives ""; a `$` not
 * followed by a valid reference stays as it is. JavaScript's String.replace differs on all of
 * these, hence this.
 *
 * @module
 */

const NAME_CHAR = /[\p{L}\p{Nd}_]/u

/** The template with every reference replaced by the submatch of `match` (offsets into `input`). */
export function expandTemplate(template: string, input: string, match: ArrayLike<number>, names: readonly string[]): string {
  let out = ''
  let rest = template
  for (;;) {
    const dollar = rest.indexOf('$')
    if (dollar < 0) break
    out += rest.slice(0, dollar)
    rest = rest.slice(dollar + 1)
    if (rest.startsWith('$')) {
      out += '$'
      rest = rest.slice(1)
      continue
    }
    const ref = extract(rest)
    if (ref === null) {
      out += '$'
      continue
    }
    rest = rest.slice(ref.length)
    const index = ref.num >= 0 ? ref.num : names.indexOf(ref.name, 1)
    if (index >= 0 && 2 * index + 1 < match.length && match[2 * index]! >= 0) {
      out += input.slice(match[2 * index], match[2 * index + 1])
    }
  }
  return out + rest
}

/** The reference at the start of `s` (after the `$`): its name, its number (-1 if not a number) and its length. */
function extract(s: string): { name: string; num: number; length: number } | null {
  const brace = s.startsWith('{')
  let i = brace ? 1 : 0
  const start = i
  while (i < s.length) {
    const cp = s.codePointAt(i)!
    const ch = String.fromCodePoint(cp)
    if (!NAME_CHAR.test(ch)) break
    i += ch.length
  }
  if (i === start) return null
  const name = s.slice(start, i)
  if (brace) {
    if (s[i] !== '}') return null
    i++
  }
  let num = /^[0-9]+$/.test(name) && name.length <= 8 ? Number(name) : -1
  if (name.length > 1 && name.startsWith('0')) num = -1
  return { name, num, length: i }
}
