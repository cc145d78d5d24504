/**
 * What every builder of the compiler receives: the indexed snapshot, the provider options, the
 * diagnostics sink and the configuration under construction. Builders write into `config`
 * directly, in Traefik's processing order, because Traefik's partial results (services built
 * before a later failure) stay in the output (pkg/provider/kubernetes/crd/kubernetes.go's
 * loadConfigurationFromCRD).
 *
 * @module
 */

import type { CertAndStores, Middleware, Router, Service, ServersTransport, TLSOptions, TLSStore } from '../../shared/dynamic/types.ts'
import type { DiagnosticSink } from './diagnostics/diagnostics.ts'
import type { ProviderOptions } from './options/options.ts'
import type { SnapshotIndex } from './snapshot/snapshot.ts'

/** The configuration being built; every map exists from the start. */
export interface ConfigUnderConstruction {
  http: {
    routers: Record<string, Router>
    middlewares: Record<string, Middleware>
    services: Record<string, Service>
    serversTransports: Record<string, ServersTransport>
  }
  tls: {
    /** Left undefined when there are no TLSOption objects (Traefik emits nil). */
    options?: Record<string, TLSOptions>
    /** Left undefined when there are no TLSStore objects. */
    stores?: Record<string, TLSStore>
  }
}

export interface CompileContext {
  index: SnapshotIndex
  options: ProviderOptions
  diagnostics: DiagnosticSink
  config: ConfigUnderConstruction
  /**
   * Certificates keyed by `"<namespace>/<secretName>"`; the first writer of a key wins and
   * TLSStores write first. Emitted sorted by key as `tls.certificates`.
   */
  tlsCertificates: Map<string, CertAndStores>
}

export function newConfig(): ConfigUnderConstruction {
  return {
    http: { routers: {}, middlewares: {}, services: {}, serversTransports: {} },
    tls: {},
  }
}
