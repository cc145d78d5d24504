/**
 * errors (Traefik's custom error pages): when the response's status is in `status`, its body and
 * headers are dropped and the page is fetched from `service` with a GET of
 * `http://<the request's Host><query>`, `{status}` (after statusRewrites), `{originalStatus}`
 * and `{url}` (the request's URL, query-escaped) filled in, and the request's headers (all of
 * them, or only errorRequestHeaders). The client gets the page with the status (rewritten when
 * statusRewrites says so). Other statuses (304 among them unless listed) pass untouched.
 *
 * The page service comes prepared from the table (shared/table/prepare.ts: the middleware's
 * `service`), built into a handler on first use.
 *
 * @module
 */
import type { ErrorPage } from '../../../../shared/dynamic/types.ts'
import { errorsConfig } from '../../../../shared/middlewares/errors.ts'
import { copyRequest, type EdgeRequest, type Handler } from '../../request.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'
import { inRanges } from '../../../../shared/http/status-ranges.ts'

export function errors(config: ErrorPage, context: MiddlewareContext): (next: Handler) => Handler {
  const { ranges, rewrites } = errorsConfig(config)
  const svc = context.service
  if (!svc) throw new Error(`errors.service: service ${JSON.stringify(config.service)} is not in the table`)
  const build = context.edge.serviceHandler
  if (!build) throw new Error('errors.service: this edge context builds no services')
  const allowed = config.errorRequestHeaders
  let page: Promise<Handler> | undefined
  // Built on first use, by the service module the edge context carries.
  const pageHandler = () => (page ??= build(svc))

  return (next) =>
    async function errors(req) {
      // Kept before `next`, which may change the request (the proxy takes its headers).
      const original = { host: req.host, path: req.path, query: req.query, tls: req.tls, headers: new Headers(req.headers) }
      const res = await next(req)
      if (!inRanges(ranges, res.status)) return res
      await res.body?.cancel().catch(() => {})
      const code = rewrites.find((r) => inRanges(r.ranges, res.status))?.to ?? res.status
      const target = pageTarget(config.query ?? '', code, res.status, original)
      const headers = new Headers()
      if (allowed === undefined) original.headers.forEach((v, k) => headers.set(k, v))
      else
        for (const name of allowed) {
          const v = original.headers.get(name)
          if (v !== null) headers.set(name, v)
        }
      const pageReq: EdgeRequest = copyRequest(req, { method: 'GET', host: original.host, path: target.path, query: target.query, headers, body: null })
      const answer = await (await pageHandler())(pageReq)
      return new Response(nullBody(code) ? null : answer.body, { status: code, headers: answer.headers })
    }
}

function nullBody(code: number): boolean {
  return code === 204 || code === 205 || code === 304
}

/** The page's path and query from the `query` template (Traefik: a leading `/`, then the placeholders). */
export function pageTarget(
  template: string,
  status: number,
  originalStatus: number,
  req: { host: string; path: string; query: string; tls: boolean },
): { path: string; query: string } {
  if (template === '') return { path: '/', query: '' }
  const url = `${req.tls ? 'https' : 'http'}://${req.host}${req.path}${req.query ? `?${req.query}` : ''}`
  const filled = `/${template.replace(/^\//, '')}`
    .replaceAll('{status}', String(status))
    .replaceAll('{originalStatus}', String(originalStatus))
    .replaceAll('{url}', queryEscape(url))
  const q = filled.indexOf('?')
  return q === -1 ? { path: filled, query: '' } : { path: filled.slice(0, q), query: filled.slice(q + 1) }
}

/** Go's url.QueryEscape: unreserved characters stay, space becomes `+`, the rest %XX. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+')
}
