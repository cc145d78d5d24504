/**
 * redirectScheme: to `scheme` (required), on `port` when set (dropped when it is the scheme's
 * default), keeping host, path and query. The request's scheme is https over TLS or when
 * X-Forwarded-Proto says https/wss (http/ws say http; other values are ignored); a URL that is
 * already the target is not redirected.
 *
 * @module
 */
import type { RedirectScheme } from '../../../../shared/dynamic/types.ts'
import type { EdgeRequest, Handler } from '../../request.ts'
import { redirect, requestUri } from '../toolkit/redirect.ts'

const URI_PATTERN = '^(https?:\\/\\/)?(\\[[\\w:.]+\\]|[\\w\\._-]+)?(:\\d+)?(.*)$'

export function redirectScheme(config: RedirectScheme & { forcePermanentRedirect?: boolean }): (next: Handler) => Handler {
  if (!config.scheme) throw new Error('redirectScheme: you must provide a target scheme')
  const port = config.port && !((config.scheme === 'http' && config.port === '80') || (config.scheme === 'https' && config.port === '443')) ? `:${config.port}` : ''
  return redirect({
    field: 'redirectScheme',
    regex: URI_PATTERN,
    replacement: `${config.scheme}://\${2}${port}\${4}`,
    permanent: config.permanent === true,
    forcePermanent: config.forcePermanentRedirect === true,
    rawUrl: clientRequestUrl,
  })
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
