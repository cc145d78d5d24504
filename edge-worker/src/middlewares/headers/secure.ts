/**
 * The security half of the headers middleware (Traefik's use of unrolled/secure): the request
 * checks (allowedHosts, the deprecated SSL redirects) and the headers set on every response
 * that passes them (HSTS, frame options, nosniff, XSS protection, CSP, HPKP, referrer,
 * permissions and feature policies). isDevelopment lifts the host, SSL and HSTS/HPKP rules.
 *
 * @module
 */
import type { Headers as HeadersConfig } from '../../../../shared/dynamic/types.ts'
import { httpError, type EdgeRequest } from '../../request.ts'

export interface Secure {
  /** An answer that stops the request (500 Bad Host, an HTTPS redirect), or the headers to set on its response. */
  check(req: EdgeRequest): { stop: Response } | { headers: Array<[string, string]>; ssl: boolean }
  /** Applies the checked request's headers to the upstream's response (and the http->https Location fix). */
  decorate(response: Headers, checked: { headers: Array<[string, string]>; ssl: boolean }): void
}

export function secure(c: HeadersConfig): Secure {
  const dev = Boolean(c.isDevelopment)
  const allowed = (c.allowedHosts ?? []).map((h) => h.toLowerCase())
  const proxyHeaders = c.hostsProxyHeaders ?? []
  const sslProxy = Object.entries(c.sslProxyHeaders ?? {})
  const sslHost = c.sslHost ?? ''
  const redirectStatus = c.sslTemporaryRedirect ? 307 : 301

  // Headers that do not depend on the request, in unrolled/secure's order.
  const always: Array<[string, string]> = []
  if (c.customFrameOptionsValue) always.push(['X-Frame-Options', c.customFrameOptionsValue])
  else if (c.frameDeny) always.push(['X-Frame-Options', 'DENY'])
  if (c.contentTypeNosniff) always.push(['X-Content-Type-Options', 'nosniff'])
  if (c.customBrowserXSSValue) always.push(['X-XSS-Protection', c.customBrowserXSSValue])
  else if (c.browserXssFilter) always.push(['X-XSS-Protection', '1; mode=block'])
  const late: Array<[string, string]> = []
  if (c.contentSecurityPolicy) late.push(['Content-Security-Policy', c.contentSecurityPolicy])
  if (c.contentSecurityPolicyReportOnly) late.push(['Content-Security-Policy-Report-Only', c.contentSecurityPolicyReportOnly])
  if (c.referrerPolicy) late.push(['Referrer-Policy', c.referrerPolicy])
  if (c.featurePolicy) late.push(['Feature-Policy', c.featurePolicy])
  if (c.permissionsPolicy) late.push(['Permissions-Policy', c.permissionsPolicy])
  const sts = c.stsSeconds && !dev ? `max-age=${c.stsSeconds}${c.stsIncludeSubdomains ? '; includeSubDomains' : ''}${c.stsPreload ? '; preload' : ''}` : null

  const isSsl = (req: EdgeRequest) => req.tls || sslProxy.some(([k, v]) => (req.headers.get(k) ?? '') === v)

  return {
    check(req) {
      let host = req.host
      for (const name of proxyHeaders) {
        const value = req.headers.get(name)
        if (value) {
          host = value
          break
        }
      }
      if (allowed.length && !dev && !allowed.includes(host.toLowerCase())) return { stop: httpError(500, 'Bad Host') }
      const ssl = isSsl(req)
      if (c.sslRedirect && !ssl && !dev) return { stop: redirect(req, sslHost || host, redirectStatus) }
      if (c.sslForceHost) {
        const target = sslHost || host
        if (target !== host) return { stop: redirect(req, target, redirectStatus) }
      }
      const headers: Array<[string, string]> = []
      if (sts !== null && (ssl || c.forceSTSHeader)) headers.push(['Strict-Transport-Security', sts])
      headers.push(...always)
      if (c.publicKey && ssl && !dev) headers.push(['Public-Key-Pins', c.publicKey])
      headers.push(...late)
      return { headers, ssl }
    },
    decorate(h, checked) {
      const location = h.get('location')
      if (location !== null && checked.ssl && sslHost && (location.startsWith(`http://${sslHost}/`) || location === `http://${sslHost}`)) {
        h.set('location', location.replace('http:', 'https:'))
      }
      for (const [k, v] of checked.headers) h.set(k, v)
    },
  }
}

/** Go's http.Redirect to https://host + the request's path and query. */
function redirect(req: EdgeRequest, host: string, status: 301 | 307): Response {
  const url = `https://${host}${req.path}${req.query ? `?${req.query}` : ''}`
  const text = status === 301 ? 'Moved Permanently' : 'Temporary Redirect'
  const html = req.method === 'GET' || req.method === 'HEAD'
  const body = req.method === 'GET' ? `<a href="${escapeHtml(url)}">${text}</a>.\n\n` : null
  return new Response(body, { status, headers: { location: url, ...(html ? { 'content-type': 'text/html; charset=utf-8' } : {}) } })
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[ch]!)
}
