/**
 * The CORS half of the headers middleware (Traefik's Header): preflights answered at the edge,
 * and the Access-Control-* headers (and Vary) set on actual responses.
 *
 * @module
 */
import type { Headers as HeadersConfig } from '../../../../shared/dynamic/types.ts'
import type { GoRegexp } from '../../../../shared/rules/regexp/compile.ts'

export interface Cors {
  /** The preflight answer (200, empty), or null when the request is not a preflight. */
  preflight(method: string, headers: Headers): Response | null
  /** Sets the actual response's CORS headers for a request with this Origin. */
  decorate(response: Headers, origin: string): void
}

/** `regexes`: the configuration's accessControlAllowOriginListRegex, compiled (shared/middlewares/headers.ts). */
export function cors(c: HeadersConfig, regexes: GoRegexp[]): Cors {
  const credentials = Boolean(c.accessControlAllowCredentials)
  const allowHeaders = c.accessControlAllowHeaders ?? []
  const allowMethods = c.accessControlAllowMethods ?? []
  const expose = c.accessControlExposeHeaders ?? []
  // A `*` with credentials cannot be sent as is: the request's own value is echoed instead.
  const echoHeaders = credentials && allowHeaders.includes('*')
  const echoMethod = credentials && allowMethods.includes('*')
  const exposeValue = expose.length && !(credentials && expose.includes('*')) ? expose.join(',') : ''
  const maxAge = c.accessControlMaxAge === undefined || c.accessControlMaxAge === null ? null : String(Math.trunc(c.accessControlMaxAge))

  const matchOrigin = (origin: string): string | null => {
    for (const item of c.accessControlAllowOriginList ?? []) {
      if (item === origin) return item
      if (item === '*') return credentials ? origin : item
    }
    for (const re of regexes) if (re.test(origin)) return origin
    return null
  }

  return {
    preflight(method, headers) {
      const requestMethod = headers.get('access-control-request-method') ?? ''
      const origin = firstValue(headers.get('origin') ?? '')
      if (method !== 'OPTIONS' || requestMethod === '' || origin === '') return null
      const out = new Headers({ 'content-length': '0' })
      if (credentials) out.set('access-control-allow-credentials', 'true')
      if (echoHeaders) {
        const asked = headers.get('access-control-request-headers')
        if (asked) out.set('access-control-allow-headers', asked)
      } else if (allowHeaders.length) out.set('access-control-allow-headers', allowHeaders.join(','))
      if (echoMethod) out.set('access-control-allow-methods', firstValue(requestMethod))
      else if (allowMethods.length) out.set('access-control-allow-methods', allowMethods.join(','))
      const allowed = matchOrigin(origin)
      if (allowed !== null) out.set('access-control-allow-origin', allowed)
      if (maxAge !== null) out.set('access-control-max-age', maxAge)
      if (exposeValue) out.set('access-control-expose-headers', exposeValue)
      return new Response(null, { status: 200, headers: out })
    },
    decorate(h, origin) {
      const allowed = matchOrigin(origin)
      if (allowed !== null) h.set('access-control-allow-origin', allowed)
      if (credentials) h.set('access-control-allow-credentials', 'true')
      if (exposeValue) h.set('access-control-expose-headers', exposeValue)
      if (c.addVaryHeader) {
        const vary = h.get('vary') ?? ''
        if (vary !== 'Origin') h.set('vary', vary === '' ? 'Origin' : `${vary},Origin`)
      }
    },
  }
}

/** Go's Header.Get: the first line. Web Headers join repeated lines with ", ". */
export function firstValue(value: string): string {
  const comma = value.indexOf(', ')
  return comma === -1 ? value : value.slice(0, comma)
}
