// The last stage of the pipeline: Traefik's dynamic configuration to the edge's table
// (control-plane/table's buildEdgeTable), split by host for the KV layout (shared/table's
// splitTableByHost, incrementally: control-plane/table/incremental-split.ts), with the edge's
// diagnostics as problem lines and the CAs its transports need.
import { IncrementalSplit } from '../table/incremental-split.ts'
import { TableInterner } from '../table/intern.ts'
import { TABLE_SCHEMA_VERSION, type EdgeTable, type EndpointsTable } from '../../shared/table/schema.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import { buildEdgeTable, outboundCAs, type UpstreamChannel } from '../table/index.ts'
import type { TunnelOptions } from '../table/services.ts'
import { locateEdgeDiagnostics, problemLine, uniqueDiagnostics } from '../diagnostics/edge-located.ts'
import type { DocumentsHook, EdgeTableStage } from './pipeline.ts'
import { keypairProblem, usableCertificates } from '../runtime/pem-check.ts'
import { planSocketTls } from '../runtime/workerd-tls.ts'

export function edgeTableStage(options: {
  entryPoint: string
  entryPoints?: string[]
  target?: EdgeTarget
  httpsEntryPoint?: string
  documents?: DocumentsHook
  tunnel?: TunnelOptions
}): EdgeTableStage {
  // Kept across builds: a change re-splits (and the packer re-serializes) only the hosts it touches.
  const interner = new TableInterner()
  const splitter = new IncrementalSplit()
  return (config, context) => {
    const listenerTls = options.httpsEntryPoint === undefined ? undefined : planSocketTls(config)
    const target = options.target ?? 'workerd'
    const entryPoints = options.entryPoints ?? [options.entryPoint]
    const built = buildEdgeTable(config, { target, entryPoints, ...(options.tunnel ? { tunnel: options.tunnel } : {}) })
    // Before interning: the internal services carry the digest of what they serve.
    const documents = options.documents?.({ config, built, entryPoints, target, ...(context ? { context } : {}) })
    // Said of the objects and fields they come from, when the build says which (context).
    const located = uniqueDiagnostics(locateEdgeDiagnostics(built.diagnostics, context?.loaded.snapshot))
    const caProblems: string[] = []
    const trustedCertificates = usableCertificates(outboundCAs(built.table), 'trusted CA certificates', caProblems)
    const channels = built.channels.map((c) => usableChannel(c, caProblems))
    return {
      table: {
        schema: TABLE_SCHEMA_VERSION,
        routes: splitter.split(interner.intern(built.table)),
        endpoints: built.endpoints,
        ...(documents ? { documents } : {}),
      },
      problems: [...located.map(problemLine), ...(listenerTls?.problems.map((p) => `entry point ${options.httpsEntryPoint}: ${p}`) ?? []), ...caProblems],
      trustedCertificates,
      channels,
      directUpstreams: target === 'workerd' ? directUpstreams(built.table, built.endpoints) : [],
      diagnostics: built.diagnostics,
      ...(listenerTls ? { listenerTls } : {}),
    }
  }
}

/**
 * A channel with what workerd cannot load left out and reported (workerd refuses to start on it):
 * a transport whose rootCAs are all unreadable then trusts nothing rather than the system's CAs.
 */
export function usableChannel(channel: UpstreamChannel, problems: string[]): UpstreamChannel {
  const where = `serversTransport ${channel.transports.join(', ')}`
  const trustedCertificates = usableCertificates(channel.trustedCertificates, `${where}: rootCAs`, problems)
  const cert = channel.clientCertificate
  const why = cert ? keypairProblem(cert.certificateChain, cert.privateKey) : null
  if (why) problems.push(`${where}: certificates[0]: ${why}; not presented`)
  const { clientCertificate: _, ...rest } = channel
  return { ...rest, trustedCertificates, ...(cert && !why ? { clientCertificate: cert } : {}) }
}

/** More would make a large config; the rest keep the UpstreamPool object's path. */
const MAX_DIRECT_UPSTREAMS = 256

/**
 * The plain-HTTP servers whose clients' Host is passed (passHostHeader) and whose transport has
 * no network of its own, by `host:port`: each gets a fixed-address service in the workerd config
 * whose fetch() carries that Host (shared/table/upstream-bindings.ts). Addresses of pods
 * (EndpointSlices) change too often for a config that is read at start: buildFromSnapshot leaves
 * them out.
 */
export function directUpstreams(table: EdgeTable, endpoints: EndpointsTable): string[] {
  const out = new Set<string>()
  for (const [key, svc] of Object.entries(table.services)) {
    if (svc.kind !== 'loadBalancer' || !svc.passHostHeader || (svc.transport && table.transports[svc.transport]?.binding)) continue
    for (const server of endpoints.services[key]?.servers ?? []) {
      if (server.tunnel) continue
      const url = URL.parse(server.url)
      if (url && (url.protocol === 'http:' || url.protocol === 'h2c:') && url.host !== '') out.add(url.host)
    }
  }
  return [...out].sort().slice(0, MAX_DIRECT_UPSTREAMS)
}
