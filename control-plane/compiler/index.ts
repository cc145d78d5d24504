/**
 * The compiler: a snapshot of Kubernetes objects in, the dynamic configuration Traefik's
 * Kubernetes CRD provider would produce plus located diagnostics out. Pure: no I/O, and
 * nothing throws out of it whatever the input (every object is compiled in its own guard).
 *
 * Processing order is Traefik's (DIGEST-provider §2), because later stages see what earlier
 * ones wrote (certificates: first writer wins; services: partial leaks stay).
 *
 * @module
 */

import type { CertAndStores, DynamicConfig } from '../../shared/dynamic/types.ts'
import { newConfig, type CompileContext } from './context.ts'
import { DiagnosticSink, type Diagnostic } from './diagnostics/diagnostics.ts'
import { buildIngressRoutes } from './ingressroute/routers.ts'
import { withDefaults, type ProviderOptions } from './options/options.ts'
import { buildTraefikServices } from './services/traefik-service.ts'
import { parseLabelSelector } from './snapshot/label-selector.ts'
import { SnapshotIndex, type Snapshot } from './snapshot/snapshot.ts'

export type { Diagnostic } from './diagnostics/diagnostics.ts'
export { formatDiagnostic } from './diagnostics/diagnostics.ts'
export type { ProviderOptions } from './options/options.ts'
export type { Snapshot } from './snapshot/snapshot.ts'

const PROVIDER = { kind: 'Provider', namespace: '', name: 'kubernetescrd' }

export interface CompileResult {
  config: DynamicConfig
  diagnostics: Diagnostic[]
}

export function compile(snapshot: Snapshot, options: Partial<ProviderOptions> = {}): CompileResult {
  const diagnostics = new DiagnosticSink()
  const opts = withDefaults(options)
  try {
    parseLabelSelector(opts.labelSelector)
  } catch (err) {
    // Traefik's provider refuses to start with an invalid selector: nothing is served.
    diagnostics.error(PROVIDER, 'labelSelector', (err as Error).message)
    return { config: emptyConfig(), diagnostics: diagnostics.items }
  }
  let index: SnapshotIndex
  try {
    index = new SnapshotIndex(snapshot, opts, diagnostics)
  } catch (err) {
    diagnostics.fromError(PROVIDER, err, 'snapshot', 'nothing compiled')
    return { config: emptyConfig(), diagnostics: diagnostics.items }
  }
  const ctx: CompileContext = {
    index,
    options: opts,
    diagnostics,
    config: newConfig(),
    tlsCertificates: new Map(),
  }
  stage(ctx, () => buildIngressRoutes(ctx))
  stage(ctx, () => buildTraefikServices(ctx))
  return { config: finish(ctx), diagnostics: diagnostics.items }
}

/** Each builder guards its own objects; this guard only catches a bug in a builder's loop. */
function stage(ctx: CompileContext, run: () => void): void {
  try {
    run()
  } catch (err) {
    ctx.diagnostics.fromError(PROVIDER, err)
  }
}

function emptyConfig(): DynamicConfig {
  const { http } = newConfig()
  return { http, tls: {} }
}

function finish(ctx: CompileContext): DynamicConfig {
  const { http, tls } = ctx.config
  const out: DynamicConfig = { http, tls: {} }
  if (tls.options !== undefined) out.tls!.options = tls.options
  if (tls.stores !== undefined) out.tls!.stores = tls.stores
  const certificates = sortedCertificates(ctx.tlsCertificates)
  if (certificates.length > 0) out.tls!.certificates = certificates
  return out
}

function sortedCertificates(certs: Map<string, CertAndStores>): CertAndStores[] {
  return [...certs.keys()].sort().map((k) => certs.get(k)!)
}
