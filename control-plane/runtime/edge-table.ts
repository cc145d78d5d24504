// The last stage of the pipeline: Traefik's dynamic configuration to the edge's table, split by
// host for the KV layout. It belongs to the edge table's own modules (control-plane/table's
// buildEdgeTable, shared/table's splitTableByHost and TABLE_SCHEMA_VERSION); until they are in
// the tree this stage says so instead of publishing a table no worker could read.
import type { EdgeTableStage } from './pipeline.ts'

export function edgeTableStage(_options: { entryPoint: string }): EdgeTableStage {
  return () => {
    throw new Error(
      'the edge table builder is not in this tree yet (control-plane/table buildEdgeTable, shared/table splitTableByHost)',
    )
  }
}
