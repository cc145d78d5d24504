/**
 * The redirect both redirectRegex and redirectScheme are made of: the request's URL (each
 * builds it its own way) rewritten by a Go regexp; a different result is a redirect to it,
 * the same one goes on to the next handler.
 *
 * @module
 */
import type { RedirectSettings } from '../../../../shared/middlewares/redirect.ts'
import type { EdgeRequest, Handler } from '../../request.ts'
import { goUrlString } from './go-url.ts'

export interface RedirectOptions extends RedirectSettings {
  rawUrl: (req: EdgeRequest) => string
}

const STATUS_TEXT: Record<number, string> = { 301: 'Moved Permanently', 302: 'Found', 307: 'Temporary Redirect', 308: 'Permanent Redirect' }

export function redirect(options: RedirectOptions): (next: Handler) => Handler {
  const re = options.re
  return (next) =>
    async function redirect(req) {
      const oldUrl = options.rawUrl(req)
      if (!re.test(oldUrl)) return next(req)
      const newUrl = re.replaceAll(oldUrl, options.replacement)
      const location = goUrlString(newUrl)
      // Traefik answers a rewritten URL it cannot parse with oxy's default error handler.
      if (location === null) return new Response('Bad Gateway', { status: 502, headers: { 'content-type': 'text/plain; charset=utf-8' } })
      if (newUrl === oldUrl) return next(req)
      const get = req.method === 'GET'
      const status = options.forcePermanent ? 308 : options.permanent ? (get ? 301 : 308) : get ? 302 : 307
      return new Response(STATUS_TEXT[status], {
        status,
        headers: { location, 'content-type': 'text/plain; charset=utf-8' },
      })
    }
}

/** Go's req.RequestURI at the edge: the escaped path and the raw query. */
export function requestUri(req: EdgeRequest): string {
  return req.query === '' ? req.path : `${req.path}?${req.query}`
}
