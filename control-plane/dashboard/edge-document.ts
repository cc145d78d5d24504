/**
 * The document the edge serves `api@internal` and `dashboard@internal` from
 * (shared/api/document.ts), written when a table routes to them: Traefik's API data and the
 * dashboard's page and state of that build. Its digest goes into the internal services of the
 * table (so the signed pointer vouches for it) and its text beside the table's blobs.
 *
 * The runtime configuration lists every load balancer's servers, so a change of endpoints
 * changes the document, and with it the routes part holding the internal service (usually the
 * part of its host): the price of serving the API from the table rather than from the control
 * plane (docs/api.md).
 *
 * @module
 */
import { createHash } from 'node:crypto'
import type { InternalDocument } from '../../shared/api/document.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import { dashboardState } from './state.ts'
import { dashboardFiles } from './server.ts'
import type { BuiltEdgeTable, EdgeDiagnostic } from '../table/index.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { apiData, type ApiFacts } from '../api/document.ts'
import { runtimeConfiguration } from '../api/runtime.ts'
import type { RuntimeConfiguration } from '../../shared/api/runtime.ts'
import type { BuildContext, DocumentsHook } from '../pipeline/pipeline.ts'

/** Workers KV takes 25 MiB a value; a document this large is not published (the routes to it answer 503). */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

export interface DocumentOptions {
  config: DynamicConfig
  built: BuiltEdgeTable
  entryPoints: string[]
  target: EdgeTarget
  facts?: ApiFacts
  context?: BuildContext
  /** Default MAX_DOCUMENT_BYTES. */
  maxBytes?: number
}

/**
 * When the table routes to `api@internal` or `dashboard@internal`: writes the document's digest
 * into those services and returns digest -> text for the publisher; otherwise undefined.
 */
export function attachInternalDocument(o: DocumentOptions): Record<string, string> | undefined {
  const internal = Object.entries(o.built.table.services).filter(([, s]) => s.kind === 'internal' && s.service !== 'noop')
  if (internal.length === 0) return undefined
  const text = JSON.stringify(internalDocument(o))
  if (Buffer.byteLength(text) > (o.maxBytes ?? MAX_DOCUMENT_BYTES)) {
    for (const [name] of internal)
      o.built.diagnostics.push({
        kind: 'service',
        name,
        field: '',
        message: `the API document (${Buffer.byteLength(text)} bytes) is larger than Workers KV allows: the routes to it answer 503`,
        severity: 'error',
      })
    return undefined
  }
  const digest = createHash('sha256').update(text).digest('base64url')
  for (const [, s] of internal) if (s.kind === 'internal') s.document = digest
  return { [digest]: text }
}

export function internalDocument(o: DocumentOptions): InternalDocument {
  // Object by object, in the order each object's problems were found: the same document whatever
  // order the build came across the objects in (the incremental pipeline's is another).
  const diagnostics = [...o.built.diagnostics].sort(byObject)
  const built = { ...o.built, diagnostics }
  const runtime = runtimeConfiguration({
    config: o.config,
    table: o.built.table,
    diagnostics,
    entryPoints: o.entryPoints,
    endpoints: o.built.endpoints,
  })
  const api = apiData(sortedMaps(runtime), o.facts ?? { entryPoints: o.entryPoints.map((name) => ({ name })) })
  const loaded = o.context?.loaded ?? { snapshot: { objects: [] }, diagnostics: [], files: [] }
  const state = dashboardState(
    {
      loaded,
      config: o.config,
      compileDiagnostics: o.context?.compileDiagnostics ?? [],
      edge: built,
      options: { entryPoints: o.entryPoints, target: o.target },
    },
    null,
    o.built.endpoints,
    new Date(0),
  )
  // The build's time would make every rebuild a new document (and a new table).
  return {
    api: { ...api, version: { ...api.version!, startDate: '0001-01-01T00:00:00Z' } },
    dashboard: { files: dashboardFiles(), state: { ...state, generatedAt: '' } },
  }
}

function byObject(a: EdgeDiagnostic, b: EdgeDiagnostic): number {
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}

/**
 * The runtime's maps in sorted order, as Go writes its maps: the text does not depend on the
 * order the configuration's maps were filled in (the rest of the document is in sorted lists).
 */
function sortedMaps(rt: RuntimeConfiguration): RuntimeConfiguration {
  const out: RuntimeConfiguration = {}
  for (const [k, map] of Object.entries(rt) as Array<[keyof RuntimeConfiguration, Record<string, never> | undefined]>) {
    if (map === undefined) continue
    // Null prototype: an element named `__proto__` is a key like any other.
    const sorted: Record<string, never> = Object.create(null)
    for (const name of Object.keys(map).sort()) sorted[name] = map[name]!
    out[k] = sorted
  }
  return out
}

/** The pipeline's hook (edgeTableStage's `documents`) that writes the document, with what Traefik's API says of the process. */
export function internalDocuments(facts?: () => ApiFacts): DocumentsHook {
  return (o) => attachInternalDocument({ ...o, ...(facts ? { facts: facts() } : {}) })
}
