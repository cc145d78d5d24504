/**
 * digestAuth (RFC 2617 as Traefik runs it: MD5, qop=auth): requests without a valid Digest
 * response get 401 with `WWW-Authenticate: Digest realm=..., nonce=..., opaque=...,
 * algorithm="MD5", qop="auth"` (`stale=true` when the nonce expired or its count went back);
 * with one, the user name goes upstream in headerField when set, and Authorization is dropped
 * when removeHeader is set. Users are `name:realm:HA1`; only those of the middleware's realm
 * (default `traefik`) can sign in. Nonces are stateless (./nonce.ts): valid in every isolate.
 *
 * @module
 */
import { md5 } from '@noble/hashes/legacy.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import type { DigestAuth } from '../../../../shared/dynamic/types.ts'
import { httpError, type EdgeRequest, type Handler } from '../../request.ts'
import { sameString } from '../toolkit/constant-time.ts'
import { digestAuthConfig, parseUsers } from '../../../../shared/middlewares/users.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'
import { unescapePath } from '../toolkit/path.ts'
import { unseal } from '../../secrets/unseal.ts'
import { digestParams } from './params.ts'
import { nonces, type Nonces } from './nonce.ts'

const utf8 = new TextEncoder()
const h = (s: string) => bytesToHex(md5(utf8.encode(s)))

interface Ready {
  users: Map<string, string>
  nonces: Nonces
}

export function digestAuth(config: DigestAuth, context: MiddlewareContext): (next: Handler) => Handler {
  const { realm, users } = digestAuthConfig(config)
  const prepare = (parsed: Map<string, string>): Ready => ({ users: parsed, nonces: nonces(`${realm}\n${[...parsed].join('\n')}`) })
  const ready = users
    ? prepare(users)
    : unseal<DigestAuth>('digestAuth', config as unknown as Record<string, unknown> & { sealed: string | null }, context.edge.env).then((c) =>
        prepare(parseUsers(c.users, 3, 'digestAuth.users')),
      )
  if (ready instanceof Promise) ready.catch((err: Error) => context.edge.log(`[edge] middleware ${context.name}: ${err.message}`))

  const challenge = (n: Nonces, stale: boolean) =>
    new Response('401 Unauthorized\n', {
      status: 401,
      headers: {
        'content-type': 'text/plain',
        'www-authenticate': `Digest realm="${realm}", nonce="${n.issue()}", opaque="${n.opaque}", algorithm="MD5", qop="auth"${stale ? ', stale=true' : ''}`,
      },
    })

  return (next) =>
    async function digestAuth(req: EdgeRequest) {
      // Sealed users that cannot be opened: the route fails closed (the cause is logged once).
      const r = ready instanceof Promise ? await ready.catch(() => null) : ready
      if (!r) return httpError(500, 'Internal Server Error')
      const verdict = check(req, r, realm)
      if (verdict === 'stale' || verdict === null) return challenge(r.nonces, verdict === 'stale')
      if (config.headerField) req.headers.set(config.headerField, verdict)
      if (config.removeHeader) req.headers.delete('authorization')
      return next(req)
    }
}

/** The user name, or `stale`, or null (no or wrong credentials). */
function check(req: EdgeRequest, r: Ready, realm: string): string | 'stale' | null {
  const p = digestParams(req.headers.get('authorization'))
  if (!p) return null
  const get = (k: string) => p.get(k) ?? ''
  if (get('opaque') !== r.nonces.opaque || (p.get('algorithm') ?? 'MD5') !== 'MD5' || get('qop') !== 'auth') return null
  const uri = get('uri')
  const requestUri = req.query ? `${req.path}?${req.query}` : req.path
  // As go-http-auth: a uri other than the request's must be a prefix of the request's path.
  if (uri !== requestUri) {
    const prefix = pathOf(uri)
    const path = unescapePath(req.path)
    if (prefix === null || path === null || !path.startsWith(prefix)) return null
  }
  const ha1 = r.users.get(`${get('username')}:${realm}`)
  if (ha1 === undefined) return null
  const ha2 = h(`${req.method}:${uri}`)
  const expected = h([ha1, get('nonce'), get('nc'), get('cnonce'), get('qop'), ha2].join(':'))
  if (!sameString(expected, get('response'))) return null
  const nc = /^[0-9a-fA-F]{1,16}$/.test(get('nc')) ? parseInt(get('nc'), 16) : NaN
  if (Number.isNaN(nc)) return null
  const state = r.nonces.check(get('nonce'), nc)
  if (state === 'invalid') return 'stale'
  return state === 'ok' ? get('username') : 'stale'
}

/** Go's url.Parse(uri).Path: the decoded path of a request-uri, without scheme, authority, query. */
function pathOf(uri: string): string | null {
  let rest = uri.replace(/[?#][\s\S]*$/, '')
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(rest)
  if (scheme) rest = rest.slice(scheme[0].length)
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2)
    rest = slash === -1 ? '' : rest.slice(slash)
  }
  return unescapePath(rest)
}
