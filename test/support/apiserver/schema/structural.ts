// What the API server does with an object and its structural schema (apiextensions-apiserver's
// documented behaviour), written here from Kubernetes' docs and independent of the compiler's ajv
// validator, so a bug in either shows as a disagreement:
//   prune    unknown fields are dropped (reported for fieldValidation), except under
//            x-kubernetes-preserve-unknown-fields or x-kubernetes-embedded-resource metadata
//   default  `default` values fill absent fields (inside objects that are present), after pruning
//   validate type, nullable, enum, pattern, bounds, required, formats, int-or-string,
//            anyOf/oneOf/allOf/not, and x-kubernetes-validations (CEL, cel.ts)
// Field errors carry the apimachinery field.Error types and messages (`Required value`,
// `Unsupported value: "x": supported values: ...`, `Invalid value: 15: ... in body should be ...`).
import { celErrors } from './cel.ts'

export interface Schema {
  type?: string
  format?: string
  description?: string
  properties?: Record<string, Schema>
  additionalProperties?: Schema | boolean
  items?: Schema
  required?: string[]
  enum?: unknown[]
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: boolean
  exclusiveMaximum?: boolean
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  minProperties?: number
  maxProperties?: number
  nullable?: boolean
  default?: unknown
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  not?: Schema
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-embedded-resource'?: boolean
  'x-kubernetes-list-type'?: string
  'x-kubernetes-list-map-keys'?: string[]
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string }>
  $ref?: string
  [k: string]: unknown
}

export type ErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueTypeInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'

export interface FieldError {
  type: ErrorType
  field: string
  /** The whole `field.Error` body after the field: `Required value`, `Invalid value: 15: ...`. */
  detail: string
}

/** `spec.routes[0].kind` from path segments. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  return base === '' ? key : `${base}.${key}`
}

/** A value as field.Error prints it: strings quoted, numbers and booleans bare, maps and lists by type. */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (v === null) return 'null'
  return JSON.stringify(Array.isArray(v) ? 'array' : 'object')
}

export const required = (field: string, detail = ''): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail: detail ? `Required value: ${detail}` : 'Required value',
})
export const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  detail: `Invalid value: ${shown(value)}: ${detail}`,
})
export const notSupported = (field: string, value: unknown, allowed: unknown[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  detail: `Unsupported value: ${shown(value)}: supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
})
export const forbidden = (field: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field, detail: `Forbidden: ${detail}` })

/** Metadata fields the API server keeps on every object (ObjectMeta); anything else under metadata is pruned. */
const OBJECT_META = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
])

function preserves(s: Schema): boolean {
  return s['x-kubernetes-preserve-unknown-fields'] === true
}

/**
 * Drops what the schema does not declare, in place; returns the dropped paths (`spec.foo`), which
 * fieldValidation=Strict refuses and Warn reports. `root` also prunes metadata to ObjectMeta.
 */
export function prune(value: unknown, schema: Schema, path = '', root = true): string[] {
  const unknown: string[] = []
  walkPrune(value, schema, path, unknown, root)
  return unknown
}

function walkPrune(value: unknown, s: Schema, path: string, unknown: string[], root: boolean): void {
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => walkPrune(v, s.items!, joinPath(path, i), unknown, false))
    return
  }
  const obj = value as Record<string, unknown>
  if (root || s['x-kubernetes-embedded-resource']) {
    for (const k of ['apiVersion', 'kind']) if (k in obj && !s.properties?.[k]) s = { ...s, properties: { ...s.properties, [k]: { type: 'string' } } }
    const meta = obj.metadata
    if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
      for (const k of Object.keys(meta)) {
        if (!OBJECT_META.has(k)) {
          delete (meta as Record<string, unknown>)[k]
          unknown.push(joinPath(joinPath(path, 'metadata'), k))
        }
      }
    }
  }
  const props = s.properties
  const additional = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined
  for (const k of Object.keys(obj)) {
    if ((root || s['x-kubernetes-embedded-resource']) && k === 'metadata') continue
    const child = props?.[k] ?? additional
    if (child === undefined) {
      if (preserves(s) || s.additionalProperties === true) continue
      delete obj[k]
      unknown.push(joinPath(path, k))
      continue
    }
    walkPrune(obj[k], child, joinPath(path, k), unknown, false)
  }
}

/** Fills `default`s of absent properties, in place (defaults apply inside objects that exist). */
export function applyDefaults(value: unknown, s: Schema): void {
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    if (s.items) for (const v of value) applyDefaults(v, s.items)
    return
  }
  const obj = value as Record<string, unknown>
  for (const [k, child] of Object.entries(s.properties ?? {})) {
    if (!(k in obj) && child.default !== undefined) obj[k] = structuredClone(child.default)
    if (k in obj) applyDefaults(obj[k], child)
  }
  if (typeof s.additionalProperties === 'object') {
    for (const k of Object.keys(obj)) if (!s.properties?.[k]) applyDefaults(obj[k], s.additionalProperties)
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/
const FORMATS: Record<string, (v: string) => boolean> = {
  'date-time': (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v),
  byte: (v) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0,
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  ipv4: (v) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(v),
}

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

/** Every schema violation of `value`, located; `old` is the stored object for CEL transition rules. */
export function validate(value: unknown, s: Schema, path = '', old?: unknown): FieldError[] {
  const errors: FieldError[] = []
  check(value, s, path, errors, old, true)
  return errors
}

function check(v: unknown, s: Schema, path: string, errors: FieldError[], old: unknown, root = false): void {
  if (v === undefined) return
  const shownPath = path === '' ? '<root>' : path
  if (v === null) {
    if (!s.nullable && s.type !== undefined) errors.push(invalid(path, v, `${shownPath} in body must be of type ${s.type}: "null"`))
    return
  }
  if (s['x-kubernetes-int-or-string']) {
    const t = typeOf(v)
    if (t !== 'integer' && t !== 'string') {
      errors.push(invalid(path, v, `${shownPath} in body must be of type integer,string: ${JSON.stringify(t)}`))
      return
    }
  } else if (s.type !== undefined) {
    const t = typeOf(v)
    const ok = t === s.type || (s.type === 'number' && t === 'integer')
    if (!ok) {
      errors.push({
        type: 'FieldValueTypeInvalid',
        field: path,
        detail: `Invalid value: ${shown(v)}: ${shownPath} in body must be of type ${s.type}: ${JSON.stringify(t)}`,
      })
      return
    }
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) errors.push(notSupported(path, v, s.enum))
  if (typeof v === 'string') {
    if (s.maxLength !== undefined && [...v].length > s.maxLength)
      errors.push({ type: 'FieldValueTooLong', field: path, detail: `Too long: may not be more than ${s.maxLength} bytes` })
    if (s.minLength !== undefined && [...v].length < s.minLength)
      errors.push(invalid(path, v, `${shownPath} in body should be at least ${s.minLength} chars long`))
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) errors.push(invalid(path, v, `${shownPath} in body should match '${s.pattern}'`))
    if (s.format !== undefined && FORMATS[s.format] && !FORMATS[s.format]!(v))
      errors.push(invalid(path, v, `${shownPath} in body must be of type ${s.format}: ${JSON.stringify(v)}`))
  }
  if (typeof v === 'number') {
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      errors.push(invalid(path, v, `${shownPath} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`))
    }
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      errors.push(invalid(path, v, `${shownPath} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`))
    }
  }
  if (Array.isArray(v)) {
    if (s.maxItems !== undefined && v.length > s.maxItems)
      errors.push({ type: 'FieldValueTooMany', field: path, detail: `Too many: ${v.length}: must have at most ${s.maxItems} items` })
    if (s.minItems !== undefined && v.length < s.minItems) errors.push(invalid(path, v, `${shownPath} in body should have at least ${s.minItems} items`))
    if (s['x-kubernetes-list-type'] === 'set') {
      const seen = new Set<string>()
      v.forEach((x, i) => {
        const key = JSON.stringify(x)
        if (seen.has(key)) errors.push({ type: 'FieldValueDuplicate', field: joinPath(path, i), detail: `Duplicate value: ${shown(x)}` })
        seen.add(key)
      })
    }
    if (s['x-kubernetes-list-type'] === 'map' && s['x-kubernetes-list-map-keys']) {
      const keys = s['x-kubernetes-list-map-keys']
      const seen = new Set<string>()
      v.forEach((x, i) => {
        const key = JSON.stringify(keys.map((k) => (x as Record<string, unknown>)?.[k]))
        if (seen.has(key))
          errors.push({
            type: 'FieldValueDuplicate',
            field: joinPath(path, i),
            detail: `Duplicate value: ${JSON.stringify(Object.fromEntries(keys.map((k) => [k, (x as Record<string, unknown>)?.[k]])))}`,
          })
        seen.add(key)
      })
    }
    if (s.items) v.forEach((x, i) => check(x, s.items!, joinPath(path, i), errors, undefined))
  } else if (typeof v === 'object') {
    const obj = v as Record<string, unknown>
    for (const r of s.required ?? []) if (!(r in obj)) errors.push(required(joinPath(path, r)))
    const n = Object.keys(obj).length
    if (s.maxProperties !== undefined && n > s.maxProperties)
      errors.push({ type: 'FieldValueTooMany', field: path, detail: `Too many: ${n}: must have at most ${s.maxProperties} items` })
    if (s.minProperties !== undefined && n < s.minProperties)
      errors.push(invalid(path, v, `${shownPath} in body should have at least ${s.minProperties} properties`))
    const oldObj = old !== null && typeof old === 'object' && !Array.isArray(old) ? (old as Record<string, unknown>) : undefined
    for (const [k, x] of Object.entries(obj)) {
      if (root && k === 'metadata') continue
      const child = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined)
      if (child) check(x, child, joinPath(path, k), errors, oldObj?.[k])
    }
  }
  for (const sub of s.allOf ?? []) check(v, sub, path, errors, old)
  if (s.anyOf && !s.anyOf.some((sub) => validate(v, sub, path).length === 0))
    errors.push(invalid(path, v, `${shownPath} in body must match at least one schema in anyOf`))
  if (s.oneOf) {
    const matching = s.oneOf.filter((sub) => validate(v, sub, path).length === 0).length
    if (matching !== 1) errors.push(invalid(path, v, `${shownPath} in body must match exactly one schema in oneOf`))
  }
  if (s.not && validate(v, s.not, path).length === 0) errors.push(invalid(path, v, `${shownPath} in body should not be valid against schema in not`))
  if (s['x-kubernetes-validations']) errors.push(...celErrors(s['x-kubernetes-validations'], v, s, path, old))
}
