/**
 * Located problems found while compiling. Every problem names the object it comes from and the
 * field path inside it, so a user can go straight to the line to fix.
 *
 * @module
 */

export type Severity = 'error' | 'warning'

export interface Diagnostic {
  /** Kubernetes kind of the object at fault (`IngressRoute`, `Service`...); `Document` when unknown. */
  kind: string
  /** Empty for cluster-scoped objects and for documents that have no metadata. */
  namespace: string
  name: string
  /** Dotted path inside the object, with indexes: `spec.routes[0].services[1].port`. */
  field: string
  message: string
  severity: Severity
  /** Where the object was read from (`path/to/file.yaml#2`), when known. */
  source?: string
}

/** `Kind namespace/name: field.path: message` (the namespace part is dropped when empty). */
export function formatDiagnostic(d: Diagnostic): string {
  const id = d.namespace === '' ? d.name : `${d.namespace}/${d.name}`
  const field = d.field === '' ? '' : `${d.field}: `
  return `${d.kind} ${id}: ${field}${d.message}`
}

/**
 * A problem in one field, thrown from deep inside a builder and caught by the per-object loop,
 * which knows the object and turns it into a Diagnostic. `field` is relative to the object root.
 */
export class FieldError extends Error {
  readonly field: string
  readonly severity: Severity
  constructor(field: string, message: string, severity: Severity = 'error') {
    super(message)
    this.name = 'FieldError'
    this.field = field
    this.severity = severity
  }
}

/** The object a diagnostic is about. */
export interface ObjectRef {
  kind: string
  namespace: string
  name: string
  source?: string
}

/** Collects diagnostics in order; cheap to pass around. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = []

  add(on: ObjectRef, field: string, message: string, severity: Severity = 'error'): void {
    const d: Diagnostic = {
      kind: on.kind,
      namespace: on.namespace,
      name: on.name,
      field,
      message,
      severity,
    }
    if (on.source !== undefined) d.source = on.source
    this.items.push(d)
  }

  error(on: ObjectRef, field: string, message: string): void {
    this.add(on, field, message, 'error')
  }

  warn(on: ObjectRef, field: string, message: string): void {
    this.add(on, field, message, 'warning')
  }

  /**
   * Records anything thrown: a FieldError keeps its field, other errors land on `fallbackField`.
   * `consequence` (`route skipped`) is appended so the reader knows what was dropped.
   */
  fromError(on: ObjectRef, err: unknown, fallbackField = '', consequence = ''): void {
    const tail = consequence === '' ? '' : `; ${consequence}`
    if (err instanceof FieldError) {
      this.add(on, err.field, `${err.message}${tail}`, err.severity)
    } else {
      const message = err instanceof Error ? err.message : String(err)
      this.add(on, fallbackField, `internal error: ${message}${tail}`, 'error')
    }
  }
}

/** Joins field path segments: `path('spec', 'routes', 0, 'match')` -> `spec.routes[0].match`. */
export function fieldPath(...parts: Array<string | number>): string {
  let out = ''
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`
    else if (p === '') continue
    else out += out === '' ? p : `.${p}`
  }
  return out
}
