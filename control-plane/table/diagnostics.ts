/**
 * Problems found while turning the dynamic configuration into the edge table, located by the
 * dynamic-configuration object they concern: `service default-whoami-80: servers[0].url: ...`.
 *
 * @module
 */

export type EdgeObjectKind = 'router' | 'service' | 'middleware' | 'serversTransport'

export interface EdgeDiagnostic {
  kind: EdgeObjectKind
  name: string
  field: string
  message: string
  /** error: the object is not served (or answers an error); warning: served, with a difference. */
  severity: 'error' | 'warning'
}

export function formatEdgeDiagnostic(d: EdgeDiagnostic): string {
  return `${d.kind} ${d.name}: ${d.field === '' ? '' : `${d.field}: `}${d.message}`
}

export class EdgeDiagnostics {
  readonly items: EdgeDiagnostic[] = []

  error(kind: EdgeObjectKind, name: string, field: string, message: string): void {
    this.items.push({ kind, name, field, message, severity: 'error' })
  }

  warn(kind: EdgeObjectKind, name: string, field: string, message: string): void {
    this.items.push({ kind, name, field, message, severity: 'warning' })
  }
}
