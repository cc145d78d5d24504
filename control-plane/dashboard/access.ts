/**
 * What stands in front of every request to the control plane's HTTP servers (the controller's ops
 * server with its dashboard, the dashboard of `npm run edge`), whatever routes they serve:
 *
 * - **Host check** (DNS rebinding): a page on evil.example whose name the attacker re-points at
 *   127.0.0.1 makes the victim's browser send `Host: evil.example` to the loopback dashboard, and
 *   read the answer as same-origin. Only loopback names (`localhost`, `*.localhost`), IP literals
 *   (what probes, port-forwards and scrapers use) and the names the operator lists are answered;
 *   any other Host gets 403.
 * - **Token** (when configured): every path but the open ones (probes, metrics) needs it, as
 *   `Authorization: Bearer TOKEN`, or as the password of Basic authentication with any user name
 *   (so a browser's own prompt works); 401 otherwise. Compared through SHA-256 digests in constant
 *   time.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'

export interface AccessOptions {
  /** Host names (port aside, any case) answered besides loopback names and IP literals. */
  hosts?: readonly string[]
  /** The token every request but the open ones must present. */
  token?: string
  /** Paths answered without the token. */
  open?: (path: string) => boolean
}

/** Answers and returns true when a request is refused; false lets it through. */
export type AccessGuard = (req: IncomingMessage, res: ServerResponse) => boolean

export function accessGuard(options: AccessOptions = {}): AccessGuard {
  const hosts = new Set((options.hosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')))
  const token = options.token === undefined ? null : digest(options.token)
  return (req, res) => {
    if (!hostAllowed(req.headers.host, hosts)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      res.end('403 Forbidden: this server answers loopback names, IP addresses and the names it was given (--dashboard-host) only\n')
      return true
    }
    if (token === null) return false
    const path = (req.url ?? '/').split('?')[0]!
    if (options.open?.(path)) return false
    const presented = presentedToken(req.headers.authorization)
    if (presented !== null && timingSafeEqual(digest(presented), token)) return false
    res.writeHead(401, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'www-authenticate': 'Basic realm="traefik-edge", charset="UTF-8"',
    })
    res.end('401 Unauthorized\n')
    return true
  }
}

/** Whether a Host header value (or none: HTTP/1.0) names this server as an allowed name. */
export function hostAllowed(host: string | undefined, names: ReadonlySet<string>): boolean {
  if (host === undefined) return true
  let name = host.trim().toLowerCase()
  if (name.startsWith('[')) return /^\[[0-9a-f:.%a-z]+\](:\d+)?$/.test(name) && isIP(name.slice(1, name.indexOf(']'))) === 6
  const colon = name.lastIndexOf(':')
  if (colon !== -1) {
    if (!/^\d+$/.test(name.slice(colon + 1))) return false
    name = name.slice(0, colon)
  }
  name = name.replace(/\.$/, '')
  return isIP(name) === 4 || name === 'localhost' || name.endsWith('.localhost') || names.has(name)
}

/** The token of `Bearer TOKEN`, or the password of `Basic base64(user:password)`. */
function presentedToken(authorization: string | undefined): string | null {
  if (!authorization) return null
  const [scheme, value = ''] = authorization.trim().split(/\s+/, 2)
  if (scheme?.toLowerCase() === 'bearer') return value
  if (scheme?.toLowerCase() !== 'basic') return null
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon === -1 ? null : decoded.slice(colon + 1)
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Whether an address to listen on is loopback only (the dashboard needs no token there). */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return a === 'localhost' || a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a)
}

/**
 * The dashboard token from `--dashboard-token-file FILE`, else DASHBOARD_TOKEN_FILE, else
 * DASHBOARD_TOKEN; surrounding whitespace dropped. Throws on an unreadable or empty file.
 */
export function dashboardToken(file: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = file ?? env.DASHBOARD_TOKEN_FILE
  let token: string | undefined
  if (path) {
    try {
      token = readFileSync(path, 'utf8').trim()
    } catch (err) {
      throw new Error(`dashboard token file ${path}: ${(err as Error).message}`)
    }
    if (token === '') throw new Error(`dashboard token file ${path} is empty`)
  } else if (env.DASHBOARD_TOKEN !== undefined) {
    token = env.DASHBOARD_TOKEN.trim()
    if (token === '') throw new Error('DASHBOARD_TOKEN is empty')
  }
  return token
}
