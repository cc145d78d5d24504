/**
 * Traefik's internal services at the edge: `api@internal` (Traefik's API at /api/, the dashboard
 * under /dashboard/), `dashboard@internal` (the dashboard at /) and `noop@internal` (418), behind
 * whatever middlewares the route puts in front (basicAuth, ipAllowList...).
 *
 * The API and dashboard are the control plane's own app (shared/api/dashboard-app.ts) over the
 * document it published with the table (shared/api/document.ts, read from KV by the digest the
 * table names and checked against it), with the servers' health of the current endpoints.
 *
 * @module
 */
import { apiInternal, dashboardApp } from '../../../shared/api/dashboard-app.ts'
import { withHealth, type InternalDocument } from '../../../shared/api/document.ts'
import type { PreparedService } from '../../../shared/table/view.ts'
import type { EdgeContext } from '../middlewares/index.ts'
import { httpError, type EdgeRequest } from '../request.ts'
import { isolateTableSource } from '../table-source/index.ts'
import type { ServiceHandler } from './index.ts'

type Internal = Extract<PreparedService, { kind: 'internal' }>

/** The app of the last document parsed (one table version's, per isolate). */
let parsed: { digest: string; doc: Promise<InternalDocument> } | null = null

export function internalService(svc: Internal, edge: EdgeContext): ServiceHandler {
  if (svc.service === 'noop') return { up: true, handle: async () => new Response(null, { status: 418 }) }
  return {
    up: true,
    async handle(req) {
      const source = isolateTableSource(edge.env)
      if (svc.document === undefined || source === null) return httpError(503, `${svc.name}: no document published with this table`)
      let doc: InternalDocument
      try {
        doc = withHealth(await documentOf(svc.document, (d) => source.document(d)), await source.allEndpoints())
      } catch (err) {
        edge.log(`[edge] ${svc.name}: ${(err as Error).message}`)
        return httpError(503, 'Service Unavailable')
      }
      const app = dashboardApp(
        {
          file: (path) => doc.dashboard?.files[path] ?? null,
          state: () => doc.dashboard?.state ?? null,
          // The last change and explain need the control plane's builds: its own dashboard has them.
          diff: () => null,
        },
        () => doc.api,
      )
      const request = toRequest(req)
      return svc.service === 'api' ? apiInternal(app)(request) : app.fetch(request)
    },
  }
}

function documentOf(digest: string, read: (digest: string) => Promise<string>): Promise<InternalDocument> {
  if (parsed?.digest !== digest) {
    const doc = read(digest).then((text) => JSON.parse(text) as InternalDocument)
    parsed = { digest, doc }
    doc.catch(() => (parsed = null))
  }
  return parsed!.doc
}

function toRequest(req: EdgeRequest): Request {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(`${req.tls ? 'https' : 'http'}://internal${req.path}${req.query ? `?${req.query}` : ''}`, {
    method: req.method,
    headers: req.headers,
    ...(hasBody && req.body ? { body: req.body } : {}),
  })
}
