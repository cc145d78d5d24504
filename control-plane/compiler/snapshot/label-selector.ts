/**
 * Kubernetes label selectors (`app=web,tier!=db,env in (a,b),!legacy,release`), as the
 * provider's `labelSelector` option and the Secret filter `owner!=helm` use them.
 *
 * @module
 */

export type LabelMatcher = (labels: Readonly<Record<string, string>> | undefined) => boolean

interface Requirement {
  key: string
  op: 'exists' | 'notexists' | 'in' | 'notin' | 'gt' | 'lt'
  values: string[]
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/
const VALUE = /^([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/

/** Parses a selector; throws an Error naming the bad part. The empty selector matches all. */
export function parseLabelSelector(selector: string): LabelMatcher {
  const requirements = splitTopLevel(selector).map(parseRequirement)
  return (labels) => requirements.every((r) => matches(r, labels ?? {}))
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = []
  let depth = 0
  let current = ''
  for (const ch of selector) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (depth < 0) throw new Error(`invalid label selector "${selector}": unbalanced ")"`)
    if (ch === ',' && depth === 0) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  if (depth !== 0) throw new Error(`invalid label selector "${selector}": unbalanced "("`)
  parts.push(current)
  const trimmed = parts.map((p) => p.trim())
  if (trimmed.length === 1 && trimmed[0] === '') return []
  if (trimmed.some((p) => p === '')) throw new Error(`invalid label selector "${selector}": empty requirement`)
  return trimmed
}

function parseRequirement(text: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(text)
  if (m) return { key: checkKey(m[1]!, text), op: 'notexists', values: [] }
  m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(text)
  if (m) {
    const values = m[3]!.split(',').map((v) => checkValue(v.trim(), text))
    return { key: checkKey(m[1]!, text), op: m[2] as 'in' | 'notin', values }
  }
  m = /^([^=!<>\s]+)\s*(==|=|!=|<|>)\s*(\S*)$/.exec(text)
  if (m) {
    const key = checkKey(m[1]!, text)
    const value = m[3]!
    switch (m[2]) {
      case '=':
      case '==':
        return { key, op: 'in', values: [checkValue(value, text)] }
      case '!=':
        return { key, op: 'notin', values: [checkValue(value, text)] }
      default:
        if (!/^-?\d+$/.test(value)) {
          throw new Error(`invalid label selector requirement "${text}": ${m[2]} needs an integer`)
        }
        return { key, op: m[2] === '>' ? 'gt' : 'lt', values: [value] }
    }
  }
  if (/^\S+$/.test(text)) return { key: checkKey(text, text), op: 'exists', values: [] }
  throw new Error(`invalid label selector requirement "${text}"`)
}

function checkKey(key: string, text: string): string {
  const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key
  if (!KEY.test(key) || name.length > 63) {
    throw new Error(`invalid label selector requirement "${text}": bad key "${key}"`)
  }
  return key
}

function checkValue(value: string, text: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new Error(`invalid label selector requirement "${text}": bad value "${value}"`)
  }
  return value
}

function matches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key)
  const value = labels[r.key]
  switch (r.op) {
    case 'exists':
      return has
    case 'notexists':
      return !has
    case 'in':
      return has && r.values.includes(value!)
    case 'notin':
      return !has || !r.values.includes(value!)
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value!)) return false
      const n = Number(value)
      const bound = Number(r.values[0])
      return r.op === 'gt' ? n > bound : n < bound
    }
  }
}
