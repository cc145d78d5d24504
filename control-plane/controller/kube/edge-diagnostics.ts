// The table build's diagnostics (named by router, service, middleware) on the Kubernetes objects
// they come from, as compiler Diagnostics, so a rule the edge cannot parse or a router it does not
// serve gets an Event on its IngressRoute like any compile problem. The objects are found with the
// dashboard's index of the dynamic configuration's names (dashboard/sources.ts); the router's
// field is mapped back to the route's (rule -> spec.routes[i].match).
import type { Diagnostic, Snapshot } from '../../compiler/index.ts'
import { indexSources, type SourceIndex, type SourceRef } from '../../dashboard/sources.ts'
import type { EdgeDiagnostic } from '../../table/diagnostics.ts'

/** A router's fields as the IngressRoute route that made it names them. */
const ROUTE_FIELDS: Record<string, string> = { rule: 'match', priority: 'priority', middlewares: 'middlewares', service: 'services', ruleSyntax: 'syntax' }

function sourceOf(d: EdgeDiagnostic, index: SourceIndex): SourceRef | undefined {
  switch (d.kind) {
    case 'router': {
      const direct = index.routers.get(d.name)
      if (direct) return direct
      // Copies the table makes of a router (TLS conflicts) are named after it: `name-...`.
      for (const [key, ref] of index.routers) if (d.name.startsWith(`${key}-`)) return ref
      return undefined
    }
    case 'service':
      return index.services.get(d.name)
    case 'middleware':
      return index.middlewares.get(d.name)
    case 'serversTransport':
      return index.transports.get(d.name)
  }
}

export function locateEdgeDiagnostics(snapshot: Snapshot, diagnostics: readonly EdgeDiagnostic[]): Diagnostic[] {
  if (diagnostics.length === 0) return []
  const index = indexSources(snapshot)
  const out: Diagnostic[] = []
  for (const d of diagnostics) {
    const source = sourceOf(d, index)
    if (!source) continue
    const sub = d.kind === 'router' ? (ROUTE_FIELDS[d.field] ?? d.field) : d.field
    const field = [source.field, sub].filter((p) => p !== undefined && p !== '').join('.')
    out.push({ kind: source.kind, namespace: source.namespace, name: source.name, field, message: `${d.kind} ${d.name}: ${d.message}`, severity: d.severity })
  }
  return out
}
