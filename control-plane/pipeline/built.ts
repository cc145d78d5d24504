/**
 * What one run of the pipeline (manifests -> compile -> edge table -> split by host) gives: the
 * table the publisher stores, the problems found on the way, and what the runtime must trust or
 * serve for it. Every entry point (file mode, the controller, the dashboard, explain, health
 * checks) works from it.
 *
 * @module
 */
import type { EdgeTableInput } from '../../shared/kv/pack-table.ts'
import type { SocketTlsPlan } from '../runtime/workerd-tls.ts'
import type { EdgeDiagnostic } from '../table/diagnostics.ts'
import type { UpstreamChannel } from '../table/index.ts'

export interface Built {
  table: EdgeTableInput
  /** One line per problem (`Kind namespace/name: field.path: message`). */
  problems: string[]
  /** CA certificates (PEM) the worker's default outbound must trust (forwardAuth tls.ca). */
  trustedCertificates: string[]
  /** The serversTransports' own networks (trust, client certificate) the workerd config provides. */
  channels: UpstreamChannel[]
  /** `host:port` of plain-HTTP servers that get a fixed-address service in the workerd config (passHostHeader over the runtime's fetch()). */
  directUpstreams: string[]
  /** How an HTTPS entry point's socket serves TLS (when the stage was asked for one). */
  listenerTls?: SocketTlsPlan
  /** The table build's diagnostics, structured (the cluster controller turns them into Events). */
  diagnostics?: EdgeDiagnostic[]
}
