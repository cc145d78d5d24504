/**
 * Step 2 of the pipeline, public surface: Traefik's dynamic configuration -> the edge table and
 * its endpoints for one target, with diagnostics. control-plane/pipeline/edge-table.ts splits it
 * by host (shared/table/split.ts) for the publisher.
 *
 * @module
 */
import type { EdgeTable } from '../../shared/table/schema.ts'

export { buildEdgeTable, type BuiltEdgeTable, type EdgeTableOptions } from './build-edge-table.ts'
export { formatEdgeDiagnostic, type EdgeDiagnostic } from './diagnostics.ts'
export { channelBinding, mtlsBinding, type UpstreamChannel } from './transports.ts'

/**
 * The CA certificates the worker's default outbound must trust on a self-hosted workerd: those of
 * forwardAuth's auth servers (tls.ca), whose fetch() has no channel of its own. serversTransports'
 * rootCAs are not among them: each transport trusts its own, through its channel (BuiltEdgeTable's
 * `channels`).
 */
export function outboundCAs(table: EdgeTable): string[] {
  const authCAs = Object.values(table.middlewares).flatMap((m) => {
    const ca = m.type === 'forwardAuth' ? (m.config as { tls?: { ca?: unknown } } | null)?.tls?.ca : undefined
    return typeof ca === 'string' && ca !== '' ? [ca] : []
  })
  return [...new Set(authCAs)]
}
