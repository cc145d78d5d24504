/**
 * What changes at the edge between two builds of manifests: the edge tables compared object by
 * object (routers, services, middlewares, transports, TLS options and hosts), with the fields
 * that changed, servers apart (they change far more often than routes), and the build problems
 * that appear or go away. Pure.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { formatDiagnostic } from '../compiler/index.ts'
import { isSecretField, REDACTED } from '../../shared/secrets/redact.ts'
import type { Inspection } from '../explain/inspect.ts'
import type { EdgeTable, TableServer } from '../../shared/table/schema.ts'

export interface FieldChange {
  /** Dotted path inside the object (`priority`, `middlewares[1]`, `sticky.name`). */
  field: string
  old?: unknown
  new?: unknown
}

export interface SectionDiff {
  added: string[]
  removed: string[]
  changed: Array<{ name: string; fields: FieldChange[] }>
  /**
   * Objects whose name changed with their content: Traefik names a route's router (and its
   * service) after a hash of its match, so editing a rule renames it. Paired when one removed
   * and one added name share the `namespace-ingressroute-` part; not in added/removed then.
   */
  renamed?: Array<{ from: string; to: string; fields: FieldChange[] }>
}

export interface ServerChanges {
  service: string
  added: string[]
  removed: string[]
  changed: Array<{ url: string; fields: FieldChange[] }>
}

export interface ConfigDiff {
  routers: SectionDiff
  services: SectionDiff
  middlewares: SectionDiff
  transports: SectionDiff
  tlsOptions: SectionDiff
  /** TLS options per host (`entryPoint host`, `*` for any entry point). */
  tlsHosts: SectionDiff
  /** Certificates by digest, named by their first domain when known. */
  certificates: { added: string[]; removed: string[] }
  endpoints: ServerChanges[]
  problems: { added: string[]; removed: string[] }
}

/** Fields of a table router that restate its rule (the parsed tree, its hosts). */
const DERIVED_ROUTER_FIELDS = new Set(['tree', 'hosts'])

export function diffInspections(before: Inspection, after: Inspection): ConfigDiff {
  const a = before.edge.table
  const b = after.edge.table
  const services = pairRenames(diffSection(a.services, b.services), a.services, b.services)
  // A renamed service's servers are compared with its old name's.
  const renamed = new Map((services.renamed ?? []).map((r) => [r.to, r.from]))
  const beforeEndpoints = { ...before.edge.endpoints.services }
  for (const [to, from] of renamed) {
    const servers = beforeEndpoints[from]
    if (servers) (beforeEndpoints[to] = servers), delete beforeEndpoints[from]
  }
  return {
    routers: pairRenames(diffSection(strip(a.routers), strip(b.routers)), strip(a.routers), strip(b.routers)),
    services,
    middlewares: hideSecrets(diffSection(a.middlewares, b.middlewares), b.middlewares, a.middlewares),
    transports: diffSection(a.transports, b.transports),
    tlsOptions: diffSection(a.tls?.options ?? {}, b.tls?.options ?? {}),
    tlsHosts: diffSection(tlsHosts(a), tlsHosts(b)),
    certificates: diffSets(certificates(before), certificates(after)),
    endpoints: diffEndpoints(beforeEndpoints, after.edge.endpoints.services),
    problems: diffSets(problems(before), problems(after)),
  }
}

export function isEmptyDiff(d: ConfigDiff): boolean {
  const sections = [d.routers, d.services, d.middlewares, d.transports, d.tlsOptions, d.tlsHosts]
  return (
    sections.every((s) => !s.added.length && !s.removed.length && !s.changed.length && !s.renamed?.length) &&
    !d.certificates.added.length &&
    !d.certificates.removed.length &&
    d.endpoints.length === 0 &&
    !d.problems.added.length &&
    !d.problems.removed.length
  )
}

function strip(routers: EdgeTable['routers']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(routers).map(([k, r]) => [k, Object.fromEntries(Object.entries(r).filter(([f]) => !DERIVED_ROUTER_FIELDS.has(f)))]))
}

function tlsHosts(t: EdgeTable): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [ep, hosts] of Object.entries(t.tls?.hosts ?? {})) for (const [h, o] of Object.entries(hosts)) out[`${ep || '*'} ${h}`] = o
  return out
}

function certificates(i: Inspection): string[] {
  return (i.config.tls?.certificates ?? []).map((c) => {
    const pem = String((c as { certificate?: { certFile?: unknown } }).certificate?.certFile ?? '')
    return `${createHash('sha256').update(pem).digest('hex').slice(0, 12)} (stores ${(c.stores ?? ['default']).join(', ')})`
  })
}

function problems(i: Inspection): string[] {
  return i.diagnostics.map(formatDiagnostic)
}

export function diffSection(a: Record<string, unknown>, b: Record<string, unknown>): SectionDiff {
  const out: SectionDiff = { added: [], removed: [], changed: [] }
  for (const name of Object.keys(b).sort()) if (!(name in a)) out.added.push(name)
  for (const name of Object.keys(a).sort()) {
    if (!(name in b)) {
      out.removed.push(name)
      continue
    }
    const fields = fieldChanges(a[name], b[name], '')
    if (fields.length) out.changed.push({ name, fields })
  }
  return out
}

/** Changed secret fields (basicAuth users...) are reported as changed, without their values. */
function hideSecrets(d: SectionDiff, after: EdgeTable['middlewares'], before: EdgeTable['middlewares']): SectionDiff {
  const changed = d.changed.map((c) => {
    const type = after[c.name]?.type ?? before[c.name]?.type ?? ''
    return { ...c, fields: c.fields.map((f) => (isSecretField(type, f.field) ? { field: f.field, old: REDACTED, new: REDACTED } : f)) }
  })
  return { ...d, changed }
}

const ROUTE_HASH = /^(.*)-[0-9a-f]{20}$/

function pairRenames(d: SectionDiff, a: Record<string, unknown>, b: Record<string, unknown>): SectionDiff {
  const stem = (n: string) => ROUTE_HASH.exec(n)?.[1]
  const renamed: NonNullable<SectionDiff['renamed']> = []
  for (const from of [...d.removed]) {
    const s = stem(from)
    if (s === undefined) continue
    const removedSame = d.removed.filter((n) => stem(n) === s)
    const addedSame = d.added.filter((n) => stem(n) === s)
    if (removedSame.length !== 1 || addedSame.length !== 1) continue
    const to = addedSame[0]!
    renamed.push({ from, to, fields: fieldChanges(a[from], b[to], '') })
    d.removed = d.removed.filter((n) => n !== from)
    d.added = d.added.filter((n) => n !== to)
  }
  return renamed.length ? { ...d, renamed } : d
}

/** Field-level differences between two JSON values; arrays of another length change as a whole. */
export function fieldChanges(a: unknown, b: unknown, path: string): FieldChange[] {
  if (Object.is(a, b)) return []
  const join = (k: string) => (path === '' ? k : `${path}.${k}`)
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => fieldChanges(x, b[i], `${path}[${i}]`))
  }
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    return keys.flatMap((k) => fieldChanges(a[k], b[k], join(k)))
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return []
  return [{ field: path, ...(a === undefined ? {} : { old: a }), ...(b === undefined ? {} : { new: b }) }]
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function diffSets(a: string[], b: string[]): { added: string[]; removed: string[] } {
  const sa = new Set(a)
  const sb = new Set(b)
  return { added: b.filter((x) => !sa.has(x)), removed: a.filter((x) => !sb.has(x)) }
}

function diffEndpoints(a: Record<string, { servers: TableServer[] }>, b: Record<string, { servers: TableServer[] }>): ServerChanges[] {
  const out: ServerChanges[] = []
  for (const service of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const before = new Map((a[service]?.servers ?? []).map((s) => [s.url, s]))
    const after = new Map((b[service]?.servers ?? []).map((s) => [s.url, s]))
    const c: ServerChanges = { service, added: [], removed: [], changed: [] }
    for (const url of after.keys()) if (!before.has(url)) c.added.push(url)
    for (const [url, s] of before) {
      const now = after.get(url)
      if (!now) c.removed.push(url)
      else {
        const fields = fieldChanges(s, now, '')
        if (fields.length) c.changed.push({ url, fields })
      }
    }
    if (c.added.length || c.removed.length || c.changed.length) out.push(c)
  }
  return out
}

const show = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v))

/** Text for people: one line per added or removed object, and one per changed field. */
export function formatDiff(d: ConfigDiff): string {
  if (isEmptyDiff(d)) return 'no change at the edge\n'
  const lines: string[] = []
  const section = (title: string, s: SectionDiff) => {
    if (!s.added.length && !s.removed.length && !s.changed.length && !s.renamed?.length) return
    lines.push(`${title}:`)
    for (const n of s.added) lines.push(`  + ${n}`)
    for (const n of s.removed) lines.push(`  - ${n}`)
    const fields = (fs: FieldChange[]) => {
      for (const f of fs) lines.push(`      ${f.field || '(value)'}: ${show(f.old)} -> ${show(f.new)}`)
    }
    for (const c of s.changed) {
      lines.push(`  ~ ${c.name}`)
      fields(c.fields)
    }
    for (const r of s.renamed ?? []) {
      lines.push(`  ~ ${r.from} -> ${r.to} (renamed: its rule changed)`)
      fields(r.fields)
    }
  }
  section('routers', d.routers)
  section('services', d.services)
  section('middlewares', d.middlewares)
  section('serversTransports', d.transports)
  section('TLS options', d.tlsOptions)
  section('TLS options per host', d.tlsHosts)
  if (d.certificates.added.length || d.certificates.removed.length) {
    lines.push('certificates:')
    for (const c of d.certificates.added) lines.push(`  + ${c}`)
    for (const c of d.certificates.removed) lines.push(`  - ${c}`)
  }
  if (d.endpoints.length) {
    lines.push('endpoints:')
    for (const e of d.endpoints) {
      lines.push(`  ~ ${e.service}`)
      for (const u of e.added) lines.push(`      + ${u}`)
      for (const u of e.removed) lines.push(`      - ${u}`)
      for (const c of e.changed) for (const f of c.fields) lines.push(`      ~ ${c.url} ${f.field}: ${show(f.old)} -> ${show(f.new)}`)
    }
  }
  if (d.problems.added.length || d.problems.removed.length) {
    lines.push('problems:')
    for (const p of d.problems.added) lines.push(`  + ${p}`)
    for (const p of d.problems.removed) lines.push(`  - ${p}`)
  }
  return `${lines.join('\n')}\n`
}
