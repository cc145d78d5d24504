/**
 * redirectScheme: to `scheme` (required), on `port` when set (dropped when it is the scheme's
 * default), keeping host, path and query. The request's scheme is https over TLS or when
 * X-Forwarded-Proto says https/wss (http/ws say http; other values are ignored); a URL that is
 * already the target is not redirected.
 *
 * @module
 */
import type { RedirectScheme } from '../../../../shared/dynamic/types.ts'
import { redirectSchemeConfig } from '../../../../shared/middlewares/redirect.ts'
import type { EdgeRequest, Handler } from '../../request.ts'
import { redirect, requestUri } from '../toolkit/redirect.ts'

export function redirectScheme(config: RedirectScheme & { forcePermanentRedirect?: boolean }): (next: Handler) => Handler {
  return redirect({ ...redirectSchemeConfig(config), rawUrl: clientRequestUrl })
}

function clientRequestUrl(req: EdgeRequest): string {
  let scheme = req.tls ? 'https' : 'http'
  const proto = (req.headers.get('x-forwarded-proto') ?? '').toLowerCase()
  if (proto === 'http' || proto === 'ws') scheme = 'http'
  else if (proto === 'https' || proto === 'wss') scheme = 'https'
  let { host, port } = splitHostPort(req.host)
  if ((scheme === 'http' && port === ':80') || (scheme === 'https' && port === ':443')) port = ''
  // Go's SplitHostPort drops an IPv6 literal's brackets; the URL needs them back.
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`
  return `${scheme}://${host}${port}${requestUri(req)}`
}

/** Go's net.SplitHostPort on req.Host; the whole Host as the host when it has no valid port. */
function splitHostPort(hostport: string): { host: string; port: string } {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hostport) ?? /^([^:[\]]*):([^:]*)$/.exec(hostport)
  return m ? { host: m[1]!, port: `:${m[2]}` } : { host: hostport, port: '' }
}
