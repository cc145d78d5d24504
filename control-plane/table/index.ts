/**
 * Step 2 of the pipeline, public surface: Traefik's dynamic configuration -> the edge table and
 * its endpoints for one target, with diagnostics. control-plane/runtime/edge-table.ts splits it
 * by host (shared/table/split.ts) for the publisher.
 *
 * @module
 */
export { buildEdgeTable, type BuiltEdgeTable, type EdgeTableOptions } from './build-edge-table.ts'
export { formatEdgeDiagnostic, type EdgeDiagnostic } from './diagnostics.ts'
