// The table build's diagnostics (named by router, service, middleware) on the Kubernetes objects
// they come from, so a rule the edge cannot parse or a router it does not serve gets an Event on
// its IngressRoute like any compile problem, in the words `npm run compile` prints
// (control-plane/diagnostics/edge-located.ts). Problems no object made get no Event.
import type { Diagnostic, Snapshot } from '../../compiler/index.ts'
import { locateEdgeDiagnostics as located, uniqueDiagnostics } from '../../diagnostics/edge-located.ts'
import type { EdgeDiagnostic } from '../../table/diagnostics.ts'

/** The edge kinds (`router`...) a problem keeps when no object made it. */
const EDGE_KINDS = new Set(['router', 'service', 'middleware', 'serversTransport'])

export function locateEdgeDiagnostics(snapshot: Snapshot, diagnostics: readonly EdgeDiagnostic[]): Diagnostic[] {
  return uniqueDiagnostics(located(diagnostics, snapshot)).filter((d) => !EDGE_KINDS.has(d.kind))
}
