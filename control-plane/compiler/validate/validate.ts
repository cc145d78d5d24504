/**
 * Validation of Traefik objects against their CRD's OpenAPI v3 schema, as the Kubernetes API
 * server would do before Traefik ever sees them, plus the object rules of `./object-rules.ts`.
 *
 * Severity (what the compiler does with the object), decided per kind of problem:
 * - `error`: a value of the wrong type, outside an enum, a pattern or bounds. The API server would
 *   refuse the object, so in a real cluster Traefik never sees it, and the builders cannot make
 *   sense of such a value anyway. The compiler skips the object.
 * - `warning`, object kept:
 *   - a field the schema does not declare: the API server drops unknown fields (kubectl's strict
 *     mode refuses them) and the builders never read them;
 *   - a missing `required` field and a broken CEL rule (`x-kubernetes-validations`). The API
 *     server would refuse these too, but Traefik's provider handles them field by field (a
 *     failover without `errors` gets `errors: {}`; a rootCA naming both a Secret and a ConfigMap
 *     is skipped alone), its conformance fixtures contain both (`with_failover.yml`,
 *     `with_servers_transport.yml`), and the builders report the part they skip.
 * Every object of Traefik's fixtures validates with warnings at most (checked by
 * `validate.test.ts`), so no conformance case loses objects.
 *
 * @module
 */

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { Diagnostic, ObjectRef, Severity } from '../diagnostics/diagnostics.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'
import { nameOf, namespaceOf } from '../snapshot/snapshot.ts'
import { closest } from '../diagnostics/suggest.ts'
import { addCELKeyword } from './cel-rules.ts'
import { schemaKey, type CRDSchema } from './crd-schemas.ts'
import { pruneNulls, toJSONSchema } from './kube-schema.ts'
import { loadCRDSchemas } from './load-crds.ts'
import { objectRuleProblems } from './object-rules.ts'

export interface Problem {
  field: string
  message: string
  severity: Severity
}

const INT64 = { type: 'number', validate: (n: number) => Number.isSafeInteger(n) } as const
const INT32 = {
  type: 'number',
  validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
} as const

export class CRDValidator {
  private readonly schemas: ReadonlyMap<string, CRDSchema>
  private readonly compiled = new Map<string, ValidateFunction>()
  private readonly ajv: Ajv

  constructor(schemas: ReadonlyMap<string, CRDSchema>) {
    this.schemas = schemas
    // verbose: an unknown field's error carries its schema, whose fields give the suggestion.
    this.ajv = new Ajv({ strict: false, allErrors: true, verbose: true })
    this.ajv.addFormat('int64', INT64)
    this.ajv.addFormat('int32', INT32)
    addCELKeyword(this.ajv)
  }

  /** Whether there is a schema for this apiVersion and kind. */
  knows(apiVersion: string | undefined, kind: string | undefined): boolean {
    return this.schemas.has(schemaKey(apiVersion ?? '', kind ?? ''))
  }

  /**
   * Problems of one object, located by dotted field path. An object of a kind without a schema
   * (core kinds, another API group) has none.
   */
  problems(obj: KubeObject): Problem[] {
    const validate = this.validatorFor(obj.apiVersion ?? '', obj.kind ?? '')
    if (validate === undefined) return []
    const data = pruneNulls(obj)
    validate(data)
    const out = schemaProblems(validate.errors ?? [], data)
    out.push(...objectRuleProblems(obj))
    return out
  }

  /** Diagnostics of one object, about `ref` (the object as the snapshot names it). */
  validateObject(obj: KubeObject, ref: ObjectRef = refOf(obj)): Diagnostic[] {
    return this.problems(obj).map((p) => {
      const d: Diagnostic = { ...ref, field: p.field, message: p.message, severity: p.severity }
      if (ref.source === undefined) delete d.source
      return d
    })
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = schemaKey(apiVersion, kind)
    let fn = this.compiled.get(key)
    if (fn === undefined) {
      const crd = this.schemas.get(key)
      if (crd === undefined) return undefined
      fn = this.ajv.compile(toJSONSchema(crd.schema))
      this.compiled.set(key, fn)
    }
    return fn
  }
}

let shared: CRDValidator | undefined

/** The validator over the product's own CRD copy, loaded and compiled once per process. */
export function defaultValidator(): CRDValidator {
  shared ??= new CRDValidator(loadCRDSchemas())
  return shared
}

/** Validates one object with {@link defaultValidator}. */
export function validateObject(obj: KubeObject, ref?: ObjectRef): Diagnostic[] {
  return defaultValidator().validateObject(obj, ref)
}

/** True when the API server would refuse the object: the compiler then skips it. */
export function isRejected(diagnostics: readonly Pick<Diagnostic, 'severity'>[]): boolean {
  return diagnostics.some((d) => d.severity === 'error')
}

/** The object as the subject of diagnostics, named as the snapshot index names it. */
export function refOf(obj: KubeObject, sources?: ReadonlyMap<KubeObject, string>): ObjectRef {
  const ref: ObjectRef = {
    kind: obj.kind ?? 'Document',
    namespace: namespaceOf(obj),
    name: nameOf(obj) || (obj.metadata?.generateName ?? ''),
  }
  const source = sources?.get(obj)
  if (source !== undefined) ref.source = source
  return ref
}

// ---------------------------------------------------------------------------------------------
// ajv errors to located problems

function schemaProblems(errors: readonly ErrorObject[], data: unknown): Problem[] {
  // An int-or-string mismatch fails both branches of its anyOf: report the anyOf alone.
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => `${e.schemaPath}/`)
  const out: Problem[] = []
  const seen = new Set<string>()
  for (const e of errors) {
    if (anyOfPaths.some((p) => e.schemaPath.startsWith(p))) continue
    const p = problemOf(e, data)
    const key = `${p.field}\0${p.message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(p)
  }
  return out
}

function problemOf(e: ErrorObject, data: unknown): Problem {
  const at = dottedPath(e.instancePath, data)
  const value = valueAt(e.instancePath, data)
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty)
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      const near = closest(name, known)
      return {
        field: joinField(at, name),
        message: `unknown field: not in the CRD schema, ignored${near ? `; did you mean \`${near}\`?` : ''}`,
        severity: 'warning',
      }
    }
    case 'required':
      return { field: joinField(at, String(params.missingProperty)), message: 'required by the CRD schema but missing', severity: 'warning' }
    case 'type':
      return { field: at, message: `must be ${article(String(params.type))} (got ${describe(value)})`, severity: 'error' }
    case 'anyOf':
      return { field: at, message: `must be an integer or a string (got ${describe(value)})`, severity: 'error' }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')
      return { field: at, message: `${JSON.stringify(value)} is not one of ${allowed}`, severity: 'error' }
    }
    case 'pattern':
      return { field: at, message: `${JSON.stringify(value)} does not match ${String(params.pattern)}`, severity: 'error' }
    case 'x-kubernetes-validations':
      return { field: at, message: e.message ?? 'fails a CRD validation rule', severity: 'warning' }
    default:
      return { field: at, message: e.message ?? `fails ${e.keyword}`, severity: 'error' }
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array'
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${JSON.stringify(value)}`
}

function segments(pointer: string): string[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** `/spec/routes/0/port` -> `spec.routes[0].port`, indexes only where the data has an array. */
export function dottedPath(pointer: string, data: unknown): string {
  let out = ''
  let node = data
  for (const seg of segments(pointer)) {
    if (Array.isArray(node)) {
      out += `[${seg}]`
      node = node[Number(seg)]
    } else {
      out = joinField(out, seg)
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined
    }
  }
  return out
}

function valueAt(pointer: string, data: unknown): unknown {
  let node = data
  for (const seg of segments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined
    node = (node as Record<string, unknown>)[seg]
  }
  return node
}

const PLAIN_KEY = /^[A-Za-z_][\w-]*$/

/** Appends a map key or field name; keys that are not identifiers are quoted: `a["x.y"]`. */
function joinField(base: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${base}[${JSON.stringify(key)}]`
  return base === '' ? key : `${base}.${key}`
}
