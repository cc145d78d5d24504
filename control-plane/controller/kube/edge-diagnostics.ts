// The table build's diagnostics (named by router, service, middleware) on the Kubernetes objects
// they come from, so a rule the edge cannot parse or a router it does not serve gets an Event on
// its IngressRoute like any compile problem, in the words `npm run compile` prints
// (control-plane/diagnostics/edge-located.ts; the incremental pipeline locates them as it builds).
// Problems no object made get no Event.
import type { Diagnostic } from '../../compiler/index.ts'

/** The edge kinds (`router`...) a problem keeps when no object made it. */
const EDGE_KINDS = new Set(['router', 'service', 'middleware', 'serversTransport'])

/** The located table problems that name a Kubernetes object (what gets an Event). */
export function objectDiagnostics(located: readonly Diagnostic[]): Diagnostic[] {
  return located.filter((d) => !EDGE_KINDS.has(d.kind))
}
