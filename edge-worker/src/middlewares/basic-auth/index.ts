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
import { sha256 } from '@noble/hashes/sha2.js'
import { BUSY, gated } from './check-gate.ts'
import { checkSecret, checkSteps, isExpensive } from './htpasswd.ts'
import { checkKey, remember, remembered } from './verify-cache.ts'

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
  const decoys = new WeakMap<Map<string, string>, (user: string) => string>()
  return (next) =>
    async function basicAuth(req: EdgeRequest) {
      const credentials = basicCredentials(req.headers.get('authorization'))
      if (!credentials) return unauthorized()
      // Sealed users that cannot be opened: the route fails closed (the cause is logged once).
      const known = users instanceof Map ? users : await users.catch(() => null)
      if (!known) return httpError(500, 'Internal Server Error')
      const { user, password } = credentials
      const secret = known.get(user)
      // Answer times must not tell which users exist: an unknown name is checked too, against a
      // decoy (one of the users' secrets, always the same one for that name).
      let decoy = decoys.get(known)
      if (decoy === undefined) decoys.set(known, (decoy = decoyOf(known)))
      const against = secret ?? decoy(user)
      const key = checkKey(user, against, password)
      let ok = remembered(key)
      if (ok === undefined) {
        if (isExpensive(against)) {
          // bcrypt: one check at a time per isolate, in steps, a few per client (./check-gate.ts);
          // the same credentials sent in parallel (a browser's first page) wait for one check.
          let pending = inflight.get(key)
          if (pending === undefined) {
            pending = gated(req.clientIp, () => checkSteps(password, against))
            inflight.set(key, pending)
            void pending.finally(() => inflight.delete(key))
          }
          const checked = await pending
          if (checked === BUSY) return tooManyChecks()
          ok = checked
        } else ok = checkSecret(password, against)
        remember(key, ok)
      }
      if (secret === undefined || !ok) return unauthorized()
      if (config.headerField) req.headers.set(config.headerField, user)
      if (config.removeHeader) req.headers.delete('authorization')
      return next(req)
    }
}

/**
 * For an unknown name, the secret it is checked against: one of the users', picked by a digest
 * of the users' secrets and the name. So the name takes the time some existing user takes, the
 * same time on every try and on every isolate; which one cannot be told from outside without the
 * secrets. (Checking every unknown name against the first user's hash made them all take that
 * user's time, telling apart users whose hashes cost more.)
 */
function decoyOf(users: Map<string, string>): (user: string) => string {
  const secrets = [...users.values()]
  const seed = sha256(utf8.encode(secrets.join('\n')))
  return (user) => {
    const name = utf8.encode(user)
    const input = new Uint8Array(seed.length + name.length)
    input.set(seed)
    input.set(name, seed.length)
    const d = sha256(input)
    return secrets[(((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0) % secrets.length]!
  }
}

const utf8 = new TextEncoder()

/** Expensive checks under way, by remembered-check key: identical ones share the first's answer. */
const inflight = new Map<string, Promise<boolean | typeof BUSY>>()

/** Too many password checks waiting (./check-gate.ts): refused without one. */
function tooManyChecks(): Response {
  return new Response('429 Too Many Requests\n', { status: 429, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '1' } })
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
