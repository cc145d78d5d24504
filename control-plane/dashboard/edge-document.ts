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
import type { BuiltEdgeTable } from '../table/index.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { apiData, type ApiFacts } from '../api/document.ts'
import { runtimeConfiguration } from '../api/runtime.ts'
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
  const runtime = runtimeConfiguration({
    config: o.config,
    table: o.built.table,
    diagnostics: o.built.diagnostics,
    entryPoints: o.entryPoints,
    endpoints: o.built.endpoints,
  })
  const api = apiData(runtime, o.facts ?? { entryPoints: o.entryPoints.map((name) => ({ name })) })
  const loaded = o.context?.loaded ?? { snapshot: { objects: [] }, diagnostics: [], files: [] }
  const state = dashboardState(
    {
      loaded,
      config: o.config,
      compileDiagnostics: o.context?.compileDiagnostics ?? [],
      edge: o.built,
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

/** The pipeline's hook (edgeTableStage's `documents`) that writes the document, with what Traefik's API says of the process. */
export function internalDocuments(facts?: () => ApiFacts): DocumentsHook {
  return (o) => attachInternalDocument({ ...o, ...(facts ? { facts: facts() } : {}) })
}
