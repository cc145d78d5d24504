// Admission of traefik.io objects: the product's CRD schemas (control-plane/compiler/validate), as
// the real API server validates custom resources. What the compiler treats as an error (wrong type,
// enum, pattern, bounds) is refused with 422 Invalid and one cause per field.
import { defaultValidator } from '../../../control-plane/compiler/validate/validate.ts'
import { status, type StatusBody } from './status.ts'
import type { Obj } from './store.ts'

export function admissionFailure(obj: Obj): StatusBody | null {
  const validator = defaultValidator()
  if (!validator.knows(obj.apiVersion, obj.kind)) return null
  const errors = validator.problems(obj as never).filter((p) => p.severity === 'error')
  if (errors.length === 0) return null
  const name = obj.metadata?.name ?? ''
  const causes = errors.map((e) => ({ field: e.field, message: e.message, reason: 'FieldValueInvalid' }))
  return status(
    422,
    'Invalid',
    `${obj.kind}.${obj.apiVersion?.split('/')[0]} "${name}" is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join(', ')}`,
    { name, kind: obj.kind, causes },
  )
}
