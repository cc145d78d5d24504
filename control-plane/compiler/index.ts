/**
 * The compiler: a snapshot of Kubernetes objects in, the dynamic configuration Traefik's
 * Kubernetes CRD provider would produce plus located diagnostics out. Pure: no I/O, and
 * nothing throws out of it whatever the input (every object is compiled in its own guard).
 *
 * Processing order is Traefik's (pkg/provider/kubernetes/crd/kubernetes.go's
 * loadConfigurationFromCRD), because later stages see what earlier
 * ones wrote (certificates: first writer wins; services: partial leaks stay).
 *
 * @module
 */

import type { CertAndStores, DynamicConfig } from '../../shared/dynamic/types.ts'
import { newConfig, type CompileContext } from './context.ts'
import { DiagnosticSink, type Diagnostic } from './diagnostics/diagnostics.ts'
import { buildIngressRoutes } from './ingressroute/routers.ts'
import { buildMiddlewares } from './middlewares/middlewares.ts'
import { withDefaults, type ProviderOptions } from './options/options.ts'
import { buildServersTransports } from './servers-transport/servers-transports.ts'
import { buildTraefikServices } from './services/traefik-service.ts'
import { parseLabelSelector } from './snapshot/label-selector.ts'
import { locateDiagnostics } from './snapshot/locate.ts'
import { SnapshotIndex, type Snapshot } from './snapshot/snapshot.ts'
import { loadIngressRouteTLS } from './tls/certificates.ts'
import { buildTLSOptions } from './tls/options.ts'
import { buildTLSStores } from './tls/stores.ts'
import { validateSnapshot } from './validate/validate-snapshot.ts'

export type { Diagnostic } from './diagnostics/diagnostics.ts'
export { formatDiagnostic } from './diagnostics/diagnostics.ts'
export type { ProviderOptions } from './options/options.ts'
export type { Snapshot } from './snapshot/snapshot.ts'

const PROVIDER = { kind: 'Provider', namespace: '', name: 'kubernetescrd' }

export interface CompileResult {
  config: DynamicConfig
  diagnostics: Diagnostic[]
}

export interface CompileOptions extends Partial<ProviderOptions> {
  /** Check Traefik objects against their CRD schemas first (default true). */
  validate?: boolean
}

export function compile(snapshot: Snapshot, options: CompileOptions = {}): CompileResult {
  const diagnostics = new DiagnosticSink()
  const { validate: _validate, ...providerOptions } = options
  const opts = withDefaults(providerOptions)
  try {
    parseLabelSelector(opts.labelSelector)
  } catch (err) {
    // Traefik's provider refuses to start with an invalid selector: nothing is served.
    diagnostics.error(PROVIDER, 'labelSelector', (err as Error).message)
    return { config: emptyConfig(), diagnostics: diagnostics.items }
  }
  let index: SnapshotIndex
  try {
    // Objects the API server would refuse never reach a real provider: leave them out.
    const validated = options.validate === false ? { snapshot, diagnostics: [] } : validateSnapshot(snapshot)
    diagnostics.items.push(...validated.diagnostics)
    index = new SnapshotIndex(validated.snapshot, opts, diagnostics)
  } catch (err) {
    diagnostics.fromError(PROVIDER, err, 'snapshot', 'nothing compiled')
    return { config: emptyConfig(), diagnostics: locateDiagnostics(diagnostics.items, snapshot) }
  }
  const ctx: CompileContext = {
    index,
    options: opts,
    diagnostics,
    config: newConfig(),
    tlsCertificates: new Map(),
  }
  stage(ctx, () => buildTLSStores(ctx))
  stage(ctx, () => buildIngressRoutes(ctx, loadIngressRouteTLS))
  stage(ctx, () => buildTLSOptions(ctx))
  stage(ctx, () => buildMiddlewares(ctx))
  stage(ctx, () => buildTraefikServices(ctx))
  stage(ctx, () => buildServersTransports(ctx))
  return { config: finish(ctx), diagnostics: locateDiagnostics(diagnostics.items, snapshot) }
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
