/**
 * Go's mime.ParseMediaType, as compress uses it to compare Content-Types: the type lowercased,
 * parameters with lowercased names; null where Go returns an error.
 *
 * @module
 */

export interface MediaType {
  type: string
  params: Map<string, string>
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+"
const TYPE = new RegExp(`^${TOKEN}(?:/${TOKEN})?$`)
const PARAM = new RegExp(`^\\s*;\\s*(${TOKEN})\\s*=\\s*(?:(${TOKEN})|"((?:[^"\\\\]|\\\\.)*)")`)

export function parseMediaType(value: string): MediaType | null {
  const semi = value.indexOf(';')
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase()
  if (!TYPE.test(type)) return null
  const params = new Map<string, string>()
  let rest = semi < 0 ? '' : value.slice(semi)
  while (rest.trim() !== '') {
    if (/^\s*;\s*$/.test(rest)) break // a trailing semicolon is allowed
    const m = PARAM.exec(rest)
    if (!m) return null
    const name = m[1]!.toLowerCase()
    if (params.has(name)) return null
    params.set(name, m[2] ?? m[3]!.replace(/\\(.)/g, '$1'))
    rest = rest.slice(m[0].length)
  }
  return { type, params }
}
