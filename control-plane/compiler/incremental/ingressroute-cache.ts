/**
 * The IngressRoute stage of the compiler, remembered per IngressRoute object across compiles (the
 * cluster controller's informers hand out the same object until it changes). What one IngressRoute
 * compiled to is replayed when every lookup it made finds the same thing again: the objects the
 * snapshot index returned (Services, EndpointSlices, Secrets, ConfigMaps, parent IngressRoutes,
 * Nodes) and whether a certificate key was already taken. Its writes (routers, services,
 * certificates, diagnostics) are replayed in the same order, so the configuration is the one a
 * full compile gives, key order included. Nothing in this stage reads what other objects wrote
 * except the certificate map, which is a recorded lookup.
 *
 * @module
 */
import type { CertAndStores, Router, Service } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { IngressRoute } from '../crd/types.ts'
import { DiagnosticSink, type Diagnostic } from '../diagnostics/diagnostics.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'
import type { SnapshotIndex } from '../snapshot/snapshot.ts'

type Lookup =
  | { what: 'get'; kind: string; namespace: string; name: string; found: unknown }
  | { what: 'slices'; namespace: string; service: string; found: readonly unknown[] }
  | { what: 'nodes'; found: readonly unknown[] }
  | { what: 'cert'; key: string; found: boolean }

interface Compiled {
  lookups: Lookup[]
  routers: Record<string, Router>
  services: Record<string, Service>
  certificates: Array<[string, CertAndStores]>
  diagnostics: Diagnostic[]
}

export class IngressRouteCache {
  #entries = new WeakMap<IngressRoute, Compiled>()
  #options = ''

  /** Runs `build` for `ir` with a recording context, or replays what it did last time. */
  run(ctx: CompileContext, ir: IngressRoute, build: (ctx: CompileContext) => void): void {
    const options = JSON.stringify(ctx.options)
    if (options !== this.#options) {
      this.#entries = new WeakMap()
      this.#options = options
    }
    let compiled = this.#entries.get(ir)
    if (compiled === undefined || !compiled.lookups.every((l) => sameLookup(ctx, l))) {
      compiled = record(ctx, build)
      this.#entries.set(ir, compiled)
    }
    Object.assign(ctx.config.http.routers, compiled.routers)
    Object.assign(ctx.config.http.services, compiled.services)
    for (const [key, cert] of compiled.certificates) ctx.tlsCertificates.set(key, cert)
    // Copies: whoever holds the compile result may change a diagnostic (validation appends to messages).
    for (const d of compiled.diagnostics) ctx.diagnostics.items.push({ ...d })
  }
}

function sameLookup(ctx: CompileContext, l: Lookup): boolean {
  switch (l.what) {
    case 'get':
      return ctx.index.get(l.kind, l.namespace, l.name) === l.found
    case 'slices':
      return sameItems(ctx.index.endpointSlices(l.namespace, l.service), l.found)
    case 'nodes':
      return sameItems(ctx.index.nodes, l.found)
    case 'cert':
      return ctx.tlsCertificates.has(l.key) === l.found
  }
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function record(ctx: CompileContext, build: (ctx: CompileContext) => void): Compiled {
  const lookups: Lookup[] = []
  const real = ctx.index
  // The index as this IngressRoute sees it: every lookup goes to the real one and is written down.
  const index = Object.create(real) as SnapshotIndex
  Object.defineProperties(index, {
    get: {
      value: <T extends KubeObject>(kind: string, namespace: string, name: string): T | undefined => {
        const found = real.get<T>(kind, namespace, name)
        lookups.push({ what: 'get', kind, namespace, name, found })
        return found
      },
    },
    endpointSlices: {
      value: (namespace: string, service: string) => {
        const found = real.endpointSlices(namespace, service)
        lookups.push({ what: 'slices', namespace, service, found: [...found] })
        return found
      },
    },
    nodes: {
      get: () => {
        lookups.push({ what: 'nodes', found: [...real.nodes] })
        return real.nodes
      },
    },
  })
  const certificates: Array<[string, CertAndStores]> = []
  const taken = new Set<string>()
  const tlsCertificates = {
    has: (key: string) => {
      const found = taken.has(key) || ctx.tlsCertificates.has(key)
      lookups.push({ what: 'cert', key, found })
      return found
    },
    set: (key: string, cert: CertAndStores) => {
      taken.add(key)
      certificates.push([key, cert])
      return tlsCertificates
    },
  } as unknown as Map<string, CertAndStores>
  const routers: Record<string, Router> = {}
  const services: Record<string, Service> = {}
  const diagnostics = new DiagnosticSink()
  build({
    ...ctx,
    index,
    diagnostics,
    tlsCertificates,
    config: { ...ctx.config, http: { ...ctx.config.http, routers, services } },
  })
  return { lookups, routers, services, certificates, diagnostics: diagnostics.items.map((d) => ({ ...d })) }
}
