/**
 * The edge table's diagnostics (about routers, services and middlewares of Traefik's dynamic
 * configuration) turned into the compiler's kind (about Kubernetes objects and their fields), so
 * that `npm run compile`, `npm run edge`, `npm run diff`, the dashboard and the controller's
 * Events print each problem once, in the same words, at the line of the field at fault:
 *
 *   router default-bad-6f1...: rule: error while parsing rule ...
 *   -> IngressRoute default/bad: spec.routes[0].match: error while parsing rule ... (bad.yaml:7)
 *
 * Names are matched to objects with Traefik's naming functions (./sources.ts). A
 * problem no object made stays about the dynamic configuration's name (`router x: ...`).
 *
 * @module
 */
import { formatDiagnostic, type Diagnostic } from '../compiler/index.ts'
import { objectFinder } from '../compiler/snapshot/locate.ts'
import type { KubeObject } from '../compiler/snapshot/kube-types.ts'
import type { Snapshot } from '../compiler/snapshot/snapshot.ts'
import { indexSources, type SourceIndex, type SourceRef } from './sources.ts'
import type { EdgeDiagnostic } from '../table/diagnostics.ts'

/** Router fields of the dynamic configuration -> where an IngressRoute says them. */
const ROUTE_FIELDS: Record<string, (route: string) => string> = {
  rule: (r) => `${r}.match`,
  ruleSyntax: (r) => `${r}.syntax`,
  priority: (r) => `${r}.priority`,
  observability: (r) => `${r}.observability`,
  middlewares: (r) => `${r}.middlewares`,
  entryPoints: () => 'spec.entryPoints',
  'tls.options': () => 'spec.tls.options',
  'tls.certResolver': () => 'spec.tls.certResolver',
}

export function locateEdgeDiagnostics(diagnostics: readonly EdgeDiagnostic[], snapshot: Snapshot | undefined): Diagnostic[] {
  if (diagnostics.length === 0) return []
  return locateWith(diagnostics, snapshot ? { sources: indexSources(snapshot), find: objectFinder(snapshot.objects), locate: snapshot.locate } : undefined)
}

/** Where the objects are: which object each name comes from, the objects, their lines. */
export interface Locator {
  sources: SourceIndex
  find: (kind: string, namespace: string, name: string) => KubeObject | undefined
  locate?: Snapshot['locate']
}

/** locateEdgeDiagnostics with an index the caller keeps (the incremental pipeline's, kept object by object). */
export function locateWith(diagnostics: readonly EdgeDiagnostic[], locator: Locator | undefined): Diagnostic[] {
  return diagnostics.map((d) => {
    const ref = locator && sourceOf(d, locator.sources)
    if (!ref) return { kind: d.kind, namespace: '', name: d.name, field: d.field, message: d.message, severity: d.severity }
    const obj = locator.find(ref.kind, ref.namespace, ref.name)
    const field = objectField(d, ref, obj)
    const at = (obj && locator.locate?.(obj, field)) ?? ref.location
    return { kind: ref.kind, namespace: ref.namespace, name: ref.name, field, message: d.message, severity: d.severity, ...(at ? { source: at } : {}) }
  })
}

/** The key uniqueDiagnostics tells problems apart by. */
export function problemKey(d: Diagnostic): string {
  return `${formatDiagnostic(d)}\0${d.source ?? ''}`
}

function sourceOf(d: EdgeDiagnostic, sources: SourceIndex): SourceRef | undefined {
  switch (d.kind) {
    case 'router':
      return sources.routers.get(d.name) ?? copyOf(d.name, sources)
    case 'service':
      return sources.services.get(d.name)
    case 'middleware':
      return sources.middlewares.get(d.name)
    case 'serversTransport':
      return sources.transports.get(d.name)
  }
}

/** A router the table copied for a TLS conflict (`<ep>-conflicted-<router>`) comes from its original. */
function copyOf(name: string, sources: SourceIndex): SourceRef | undefined {
  const at = name.indexOf('-conflicted-')
  return at === -1 ? undefined : sources.routers.get(name.slice(at + '-conflicted-'.length))
}

/** The field of the Kubernetes object where the dynamic configuration's field came from. */
function objectField(d: EdgeDiagnostic, ref: SourceRef, obj: unknown): string {
  const base = ref.field ?? ''
  const spec = (obj as { spec?: Record<string, unknown> } | undefined)?.spec ?? {}
  if (ref.kind === 'IngressRoute' && d.kind === 'router') {
    const m = /^(middlewares|entryPoints)\[(\d+)\]$/.exec(d.field)
    if (m) return m[1] === 'entryPoints' ? `spec.entryPoints[${m[2]}]` : `${base}.middlewares[${m[2]}]`
    if (d.field === 'service') return servicesField(base, spec)
    return ROUTE_FIELDS[d.field]?.(base) ?? base
  }
  if (ref.kind === 'IngressRoute' && d.kind === 'service') {
    // The route's own service: its services list (one entry per weighted child).
    const child = /^(?:weighted|highestRandomWeight)\.services\[(\d+)\]/.exec(d.field)
    return child ? `${routeOf(base)}.services[${child[1]}]` : servicesField(routeOf(base), spec)
  }
  if (ref.kind === 'TraefikService') {
    const m = /^(weighted|highestRandomWeight)\.services\[(\d+)\]/.exec(d.field) ?? /^(mirroring)\.mirrors\[(\d+)\]/.exec(d.field)
    if (m) return m[1] === 'mirroring' ? `spec.mirroring.mirrors[${m[2]}]` : `spec.${m[1]}.services[${m[2]}]`
    if (d.field === 'mirroring.service') return 'spec.mirroring'
    return d.field ? `spec.${d.field}` : ''
  }
  if (ref.kind === 'Service') return base
  if (ref.kind === 'Middleware') {
    if (d.field === '') return ''
    const type = Object.keys(spec)[0] ?? ''
    return d.field === type || d.field.startsWith(`${type}.`) || Object.hasOwn(spec, d.field.split('.')[0]!) ? `spec.${d.field}` : `spec.${type}.${d.field}`
  }
  return d.field ? `spec.${d.field}` : ''
}

function routeOf(field: string): string {
  return /^spec\.routes\[\d+\]/.exec(field)?.[0] ?? field
}

/** `spec.routes[i].services[0]` when the route names one service, else its list. */
function servicesField(route: string, spec: Record<string, unknown>): string {
  const i = /\[(\d+)\]/.exec(route)?.[1]
  const services = i === undefined ? undefined : (spec.routes as Array<{ services?: unknown[] }> | undefined)?.[Number(i)]?.services
  return services?.length === 1 ? `${route}.services[0]` : `${route}.services`
}

/** Each problem once: routers of one IngressRoute share its entry points and TLS, and say so alike. */
export function uniqueDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>()
  return diagnostics.filter((d) => {
    const key = problemKey(d)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** One line of stderr: `Kind namespace/name: field.path: message (file:line)`. */
export function problemLine(d: Diagnostic): string {
  return `${formatDiagnostic(d)}${d.source === undefined ? '' : ` (${d.source})`}`
}
