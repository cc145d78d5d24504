/**
 * basicAuth, digestAuth and forwardAuth: credentials and TLS material from Secrets in the
 * Middleware's namespace (pkg/provider/kubernetes/crd/kubernetes.go's createBasicAuthMiddleware,
 * createDigestAuthMiddleware, createForwardAuthMiddleware).
 *
 * @module
 */

import { createHash } from 'node:crypto'
import type { BasicAuth, DigestAuth, ForwardAuth } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { AuthSpec, MiddlewareSpec } from '../crd/types.ts'
import { FieldError } from '../diagnostics/diagnostics.ts'
import { requireSecret, secretData } from '../tls/secret-material.ts'
import { clientTLS } from './client-tls.ts'

const BASIC_AUTH_SECRET_TYPE = 'kubernetes.io/basic-auth'

export function basicAuth(ctx: CompileContext, namespace: string, spec: AuthSpec): BasicAuth {
  const out: BasicAuth = { users: credentials(ctx, namespace, spec, 'spec.basicAuth', true) }
  return withAuthOptions(out, spec)
}

/** Like basicAuth, but only the one-key htdigest format: a basic-auth typed Secret is refused. */
export function digestAuth(ctx: CompileContext, namespace: string, spec: AuthSpec): DigestAuth {
  const out: DigestAuth = { users: credentials(ctx, namespace, spec, 'spec.digestAuth', false) }
  return withAuthOptions(out, spec)
}

function withAuthOptions<T extends BasicAuth | DigestAuth>(out: T, spec: AuthSpec): T {
  if (spec.realm) out.realm = spec.realm
  if (spec.removeHeader === true) out.removeHeader = true
  if (spec.headerField) out.headerField = spec.headerField
  return out
}

/**
 * Users from the Secret: a `kubernetes.io/basic-auth` Secret (when allowed) gives one
 * `user:{SHA}hash` entry; any other Secret must hold exactly one key, whose lines are htpasswd
 * (or htdigest) entries.
 */
function credentials(ctx: CompileContext, namespace: string, spec: AuthSpec, field: string, allowBasicAuthType: boolean): string[] {
  const secretField = `${field}.secret`
  if (!spec.secret) throw new FieldError(secretField, 'no secret given: the credentials live in a Secret')
  const secret = requireSecret(ctx, namespace, spec.secret, secretField)
  const data = secretData(secret)
  if (allowBasicAuthType && secret.type === BASIC_AUTH_SECRET_TYPE) {
    const user = data.get('username')
    const password = data.get('password')
    if (user === undefined || password === undefined) {
      throw new FieldError(secretField, `secret ${namespace}/${spec.secret} of type ${BASIC_AUTH_SECRET_TYPE} ` + 'needs both a username and a password key')
    }
    const hash = createHash('sha1').update(password).digest('base64')
    return [`${user}:{SHA}${hash}`]
  }
  if (data.size !== 1) {
    throw new FieldError(secretField, `secret ${namespace}/${spec.secret} must hold exactly one key ` + `(the users file), found ${data.size}`)
  }
  const users = [...data.values()][0]!
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '')
  if (users.length === 0) {
    throw new FieldError(secretField, `secret ${namespace}/${spec.secret} holds no credentials`)
  }
  return users
}

export function forwardAuth(ctx: CompileContext, namespace: string, spec: NonNullable<MiddlewareSpec['forwardAuth']>): ForwardAuth {
  if (!spec.address) throw new FieldError('spec.forwardAuth.address', 'no address given for the authentication server')
  const out: ForwardAuth = { address: spec.address }
  if (spec.tls !== undefined && spec.tls !== null) {
    out.tls = clientTLS(ctx, namespace, spec.tls, 'spec.forwardAuth.tls')
  }
  if (spec.trustForwardHeader === true) out.trustForwardHeader = true
  if (nonEmpty(spec.authResponseHeaders)) out.authResponseHeaders = [...spec.authResponseHeaders!]
  if (spec.authResponseHeadersRegex) out.authResponseHeadersRegex = spec.authResponseHeadersRegex
  if (nonEmpty(spec.authRequestHeaders)) out.authRequestHeaders = [...spec.authRequestHeaders!]
  if (nonEmpty(spec.addAuthCookiesToResponse)) out.addAuthCookiesToResponse = [...spec.addAuthCookiesToResponse!]
  if (spec.headerField) out.headerField = spec.headerField
  if (spec.forwardBody === true) out.forwardBody = true
  // Unset means no limit; an explicit value (even 0) is kept.
  out.maxBodySize = typeof spec.maxBodySize === 'number' ? spec.maxBodySize : -1
  if (typeof spec.maxResponseBodySize === 'number') out.maxResponseBodySize = spec.maxResponseBodySize
  if (spec.preserveLocationHeader === true) out.preserveLocationHeader = true
  if (spec.preserveRequestMethod === true) out.preserveRequestMethod = true
  if (spec.authSigninURL) out.authSigninURL = spec.authSigninURL
  return out
}

function nonEmpty(list: readonly unknown[] | undefined | null): boolean {
  return Array.isArray(list) && list.length > 0
}
