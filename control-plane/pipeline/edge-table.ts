// The last stage of the pipeline: Traefik's dynamic configuration to the edge's table
// (control-plane/table's buildEdgeTable), split by host for the KV layout (shared/table's
// splitTableByHost, incrementally: control-plane/table/incremental-split.ts), with the edge's
// diagnostics as problem lines and the CAs its transports need.
import { IncrementalSplit } from '../table/incremental-split.ts'
import { TableInterner } from '../table/intern.ts'
import { TABLE_SCHEMA_VERSION } from '../../shared/table/schema.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import { buildEdgeTable, formatEdgeDiagnostic, transportCAs } from '../table/index.ts'
import type { EdgeTableStage } from './pipeline.ts'
import { usableCertificates } from '../runtime/pem-check.ts'
import { planSocketTls } from '../runtime/workerd-tls.ts'

export function edgeTableStage(options: { entryPoint: string; entryPoints?: string[]; target?: EdgeTarget; httpsEntryPoint?: string }): EdgeTableStage {
  // Kept across builds: a change re-splits (and the packer re-serializes) only the hosts it touches.
  const interner = new TableInterner()
  const splitter = new IncrementalSplit()
  return (config) => {
    const listenerTls = options.httpsEntryPoint === undefined ? undefined : planSocketTls(config)
    const built = buildEdgeTable(config, { target: options.target ?? 'workerd', entryPoints: options.entryPoints ?? [options.entryPoint] })
    const caProblems: string[] = []
    const trustedCertificates = usableCertificates(transportCAs(built.table), 'trusted CA certificates', caProblems)
    return {
      table: { schema: TABLE_SCHEMA_VERSION, routes: splitter.split(interner.intern(built.table)), endpoints: built.endpoints },
      problems: [
        ...built.diagnostics.map(formatEdgeDiagnostic),
        ...(listenerTls?.problems.map((p) => `entry point ${options.httpsEntryPoint}: ${p}`) ?? []),
        ...caProblems,
      ],
      trustedCertificates,
      diagnostics: built.diagnostics,
      ...(listenerTls ? { listenerTls } : {}),
    }
  }
}
