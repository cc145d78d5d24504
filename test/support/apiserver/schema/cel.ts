// x-kubernetes-validations as the API server evaluates them (Kubernetes' "Validation rules" docs):
// `self` is the node's value with integers as CEL ints, `oldSelf` the stored value on an update
// (a rule naming oldSelf is a transition rule, skipped on create), a false result is an Invalid
// error showing the schema type (`Invalid value: "object": <message>`), `message` or
// `messageExpression` or `failed rule: RULE`, at `fieldPath` when given, with `reason` as the cause.
import { parse } from '@marcbachmann/cel-js'
import type { ErrorType, FieldError, Schema } from './structural.ts'

type Program = ReturnType<typeof parse>
const programs = new Map<string, Program | Error>()

function program(rule: string): Program | Error {
  let p = programs.get(rule)
  if (p === undefined) {
    try {
      p = parse(rule)
    } catch (err) {
      p = err as Error
    }
    programs.set(rule, p)
  }
  return p
}

/** JSON to CEL values: integer-typed nodes become ints (BigInt), the rest as JSON gives them. */
export function celValue(v: unknown, s: Schema | undefined): unknown {
  if (typeof v === 'number' && (s?.type === 'integer' || (s?.['x-kubernetes-int-or-string'] && Number.isInteger(v)))) return BigInt(v)
  if (Array.isArray(v)) return v.map((x) => celValue(x, s?.items))
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    const additional = typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined
    for (const [k, x] of Object.entries(v)) out[k] = celValue(x, s?.properties?.[k] ?? additional)
    return out
  }
  return v
}

const REASONS: Record<string, ErrorType> = {
  FieldValueInvalid: 'FieldValueInvalid',
  FieldValueForbidden: 'FieldValueForbidden',
  FieldValueRequired: 'FieldValueRequired',
  FieldValueDuplicate: 'FieldValueDuplicate',
}

export function celErrors(rules: NonNullable<Schema['x-kubernetes-validations']>, value: unknown, s: Schema, path: string, old: unknown): FieldError[] {
  const out: FieldError[] = []
  const self = celValue(value, s)
  for (const r of rules) {
    const transition = /\boldSelf\b/.test(r.rule)
    if (transition && old === undefined) continue
    const p = program(r.rule)
    const field = r.fieldPath ? `${path}${r.fieldPath.startsWith('.') || r.fieldPath.startsWith('[') ? '' : '.'}${r.fieldPath}` : path
    if (p instanceof Error) {
      out.push({ type: 'FieldValueInvalid', field, detail: `Invalid value: ${JSON.stringify(s.type ?? 'object')}: compilation failed: ${p.message}` })
      continue
    }
    let ok: unknown
    try {
      ok = p({ self, ...(transition ? { oldSelf: celValue(old, s) } : {}) })
    } catch (err) {
      out.push({
        type: 'FieldValueInvalid',
        field,
        detail: `Invalid value: ${JSON.stringify(s.type ?? 'object')}: evaluation failed: ${(err as Error).message}`,
      })
      continue
    }
    if (ok === true) continue
    let message = r.message ?? `failed rule: ${r.rule}`
    if (r.messageExpression) {
      try {
        const m = program(r.messageExpression)
        if (!(m instanceof Error)) message = String(m({ self }))
      } catch {
        // Kubernetes falls back to message (or the rule) when messageExpression fails.
      }
    }
    const type = REASONS[r.reason ?? ''] ?? 'FieldValueInvalid'
    const kind = JSON.stringify(s.type ?? (s['x-kubernetes-int-or-string'] ? 'integer-or-string' : 'object'))
    out.push({
      type,
      field,
      detail:
        type === 'FieldValueRequired'
          ? `Required value: ${message}`
          : type === 'FieldValueForbidden'
            ? `Forbidden: ${message}`
            : type === 'FieldValueDuplicate'
              ? `Duplicate value: ${kind}: ${message}`
              : `Invalid value: ${kind}: ${message}`,
    })
  }
  return out
}
