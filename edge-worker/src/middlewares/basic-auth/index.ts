/**
 * basicAuth: requests without valid Basic credentials get 401 with
 * `WWW-Authenticate: Basic realm="<realm>"` (default realm `traefik`); with them, the user name
 * goes upstream in headerField when set, and the Authorization header is dropped when
 * removeHeader is set. Users come from the configuration (the compiler resolves the Secret to
 * `users`), sealed in the table (edge-worker/src/secrets) when the control plane has a secrets key.
 *
 * @module
 */
import type { BasicAuth } from '../../../../shared/dynamic/types.ts'
import { basicAuthConfig, parseUsers } from '../../../../shared/middlewares/users.ts'
import { httpError, type EdgeRequest, type Handler } from '../../request.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'
import { unseal } from '../../secrets/unseal.ts'
import { checkSecret } from './htpasswd.ts'
import { cachedCheck } from './verify-cache.ts'

export function basicAuth(config: BasicAuth, context: MiddlewareContext): (next: Handler) => Handler {
  const { realm, users: plain } = basicAuthConfig(config)
  const users =
    plain ??
    unseal<BasicAuth>('basicAuth', config as unknown as Record<string, unknown> & { sealed: string | null }, context.edge.env).then((c) =>
      parseUsers(c.users, 2, 'basicAuth.users'),
    )
  if (users instanceof Promise) {
    users.catch((err: Error) => context.edge.log(`[edge] middleware ${context.name}: ${err.message}`))
  }
  const unauthorized = () =>
    new Response('401 Unauthorized\n', {
      status: 401,
      headers: { 'content-type': 'text/plain', 'www-authenticate': `Basic realm="${realm}"` },
    })
  return (next) =>
    async function basicAuth(req: EdgeRequest) {
      const credentials = basicCredentials(req.headers.get('authorization'))
      if (!credentials) return unauthorized()
      // Sealed users that cannot be opened: the route fails closed (the cause is logged once).
      const known = users instanceof Map ? users : await users.catch(() => null)
      if (!known) return httpError(500, 'Internal Server Error')
      const secret = known.get(credentials.user)
      // An unknown user costs a check too (against the first user's hash, result dropped), as in
      // Traefik: answer times must not tell which users exist.
      const against = secret ?? known.values().next().value!
      const ok = cachedCheck(against, credentials.password, () => checkSecret(credentials.password, against))
      if (secret === undefined || !ok) return unauthorized()
      if (config.headerField) req.headers.set(config.headerField, credentials.user)
      if (config.removeHeader) req.headers.delete('authorization')
      return next(req)
    }
}

/** Go's Request.BasicAuth: `Basic ` (any case) + standard base64 of `user:password`. */
function basicCredentials(header: string | null): { user: string; password: Uint8Array } | null {
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return null
  const encoded = header.slice(6)
  // Go's StdEncoding is strict where atob forgives: padding required, no whitespace.
  if (encoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) return null
  let decoded: string
  try {
    decoded = atob(encoded)
  } catch {
    return null
  }
  const bytes = Uint8Array.from(decoded, (ch) => ch.charCodeAt(0))
  const colon = bytes.indexOf(0x3a)
  if (colon === -1) return null
  return { user: new TextDecoder().decode(bytes.subarray(0, colon)), password: bytes.subarray(colon + 1) }
}
