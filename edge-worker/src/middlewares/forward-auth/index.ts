/**
 * forwardAuth: before the request goes on, the auth server at `address` is asked (GET, or the
 * request's method with preserveRequestMethod) with the request's headers (all, or only
 * authRequestHeaders) and Traefik's X-Forwarded-For/-Method/-Proto/-Host/-Uri (the client's own
 * values only with trustForwardHeader), and the body with forwardBody (over maxBodySize: 401).
 * A 2xx answer lets the request on, with the authResponseHeaders (and those matching
 * authResponseHeadersRegex) copied onto it, and the auth cookies named in
 * addAuthCookiesToResponse set on the response. Any other answer goes back to the client as
 * is (status, headers, body), its Location made absolute unless preserveLocationHeader. An auth
 * server that cannot be reached, or whose body is over maxResponseBodySize: 500 (499 when the
 * client went away); a body over maxBodySize: 401. Both with an empty body, as Traefik.
 *
 * tls.ca: self-hosted, the workerd process trusts it (as serversTransport rootCAs); on Cloudflare
 * it is refused (501). A client certificate (cert, key) or insecureSkipVerify cannot be given to
 * the runtime's fetch() per request: refused (501, and a compile-time diagnostic). headerField
 * only names the user in Traefik's access log. authSigninURL is refused.
 *
 * @module
 */
import type { ForwardAuth } from '../../../../shared/dynamic/types.ts'
import { forwardAuthConfig } from '../../../../shared/middlewares/forward-auth.ts'
import { copyRequest, type EdgeRequest, type Handler } from '../../request.ts'
import { bufferBody } from '../toolkit/body.ts'
import { bytesStream } from '../toolkit/bytes-stream.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'

// Traefik's list for the auth request and the refusal: Proxy-Authorization goes to the auth server (RFC 7235 4.4).
const HOP = ['connection', 'keep-alive', 'te', 'trailers', 'transfer-encoding', 'upgrade']

function empty(status: number): Response {
  return new Response(null, { status })
}

export function forwardAuth(config: ForwardAuth, context?: MiddlewareContext): (next: Handler) => Handler {
  const { address, regex } = forwardAuthConfig(config, context?.edge.target ?? 'workerd')
  const trust = config.trustForwardHeader === true
  const allowed = config.authRequestHeaders ?? []
  const maxBody = config.maxBodySize ?? -1
  const maxResponse = config.maxResponseBodySize ?? -1
  const copied = config.authResponseHeaders ?? []
  const cookies = new Set(config.addAuthCookiesToResponse ?? [])

  return (next) =>
    async function forwardAuth(req) {
      const method = config.preserveRequestMethod ? req.method : 'GET'
      let body: Uint8Array | null = null
      if (config.forwardBody) {
        const buffered = await bufferBody(req.body, maxBody)
        if (!buffered.complete) {
          await buffered.stream.cancel().catch(() => {})
          return empty(401)
        }
        body = buffered.bytes
      }
      const headers = authHeaders(req, trust, allowed)
      if (body === null || method === 'GET' || method === 'HEAD') headers.delete('content-length')
      let auth: Response
      try {
        auth = await fetch(address.href, {
          method,
          headers,
          body: body !== null && method !== 'GET' && method !== 'HEAD' ? body : null,
          redirect: 'manual',
          signal: req.signal,
        })
      } catch (err) {
        console.error(`[edge] forwardAuth ${address.host}: ${(err as Error).message}`)
        return empty(req.signal?.aborted ? 499 : 500)
      }
      const held = await bufferBody(auth.body, maxResponse)
      if (!held.complete) {
        await held.stream.cancel().catch(() => {})
        return empty(500)
      }
      const authBody = held.bytes ?? new Uint8Array(0)

      if (auth.status < 200 || auth.status >= 300) {
        const out = new Headers(auth.headers)
        for (const h of HOP) out.delete(h)
        const location = auth.headers.get('location')
        if (location !== null && location !== '' && !config.preserveLocationHeader) {
          try {
            out.set('location', new URL(location, address).href)
          } catch {
            return empty(500)
          }
        }
        const nullBody = auth.status === 204 || auth.status === 205 || auth.status === 304
        return new Response(nullBody ? null : authBody, { status: auth.status, headers: out })
      }

      const onward: EdgeRequest = copyRequest(req, { headers: req.headers, body: body !== null ? bytesStream(body) : req.body })
      for (const name of copied) {
        onward.headers.delete(name)
        const v = auth.headers.get(name)
        if (v !== null) onward.headers.set(name, v)
      }
      if (regex) {
        for (const name of [...onward.headers.keys()]) if (regex.test(canonical(name))) onward.headers.delete(name)
        auth.headers.forEach((v, k) => {
          if (regex!.test(canonical(k))) onward.headers.set(k, v)
        })
      }
      const res = await next(onward)
      if (cookies.size === 0) return res
      const authCookies = auth.headers.getSetCookie()
      if (authCookies.length === 0) return res
      // Traefik: the listed names come from the auth server only, the upstream's are dropped.
      const add = authCookies.filter((c) => cookies.has(cookieName(c)))
      const out = new Headers(res.headers)
      const kept = res.headers.getSetCookie().filter((c) => !cookies.has(cookieName(c)))
      out.delete('set-cookie')
      for (const c of [...kept, ...add]) out.append('set-cookie', c)
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out })
    }
}

/** Traefik's writeHeader: the request's headers for the auth server. */
export function authHeaders(req: EdgeRequest, trust: boolean, allowed: string[]): Headers {
  let h = new Headers(req.headers)
  const connection = h.get('connection')
  for (const name of connection?.split(',') ?? []) if (name.trim() !== '') h.delete(name.trim())
  for (const name of HOP) h.delete(name)
  // Go keeps the Host apart from the header map: the auth request's is the address's.
  h.delete('host')
  if (allowed.length) {
    const only = new Headers()
    for (const name of allowed) {
      const v = h.get(name)
      if (v !== null) only.set(name, v)
    }
    h = only
  }
  const prior = req.headers.get('x-forwarded-for')
  // Go writes it only when RemoteAddr parses; the edge always knows the client, Traefik's test has none.
  if (req.clientIp !== '') h.set('x-forwarded-for', trust && prior !== null ? `${prior}, ${req.clientIp}` : req.clientIp)
  const pick = (name: string, own: string) => {
    const sent = req.headers.get(name)
    if (sent && trust) h.set(name, sent)
    else if (own !== '') h.set(name, own)
    else h.delete(name)
  }
  pick('x-forwarded-method', req.method)
  pick('x-forwarded-proto', req.tls ? 'https' : 'http')
  const port = req.headers.get('x-forwarded-port')
  if (port && trust) h.set('x-forwarded-port', port)
  pick('x-forwarded-host', req.host)
  pick('x-forwarded-uri', `${req.path === '' ? '/' : req.path}${req.query ? `?${req.query}` : ''}`)
  return h
}

/** Go's CanonicalHeaderKey, which Traefik's regexp sees. */
function canonical(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
}

function cookieName(setCookie: string): string {
  return setCookie.slice(0, setCookie.indexOf('=')).trim()
}
