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

/**
 * The CA certificates the table's transports trust (serversTransports rootCAs), and those of
 * forwardAuth's auth servers (tls.ca): a self-hosted workerd must be configured to trust them
 * (its network service's trustedCertificates), since workerd trusts extra CAs per process, not
 * per upstream.
 */
export function transportCAs(table: EdgeTable): string[] {
  const authCAs = Object.values(table.middlewares).flatMap((m) => {
    const ca = m.type === 'forwardAuth' ? (m.config as { tls?: { ca?: unknown } } | null)?.tls?.ca : undefined
    return typeof ca === 'string' && ca !== '' ? [ca] : []
  })
  return [...new Set([...Object.values(table.transports).flatMap((t) => t.rootCAs), ...authCAs])]
}
