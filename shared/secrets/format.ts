/**
 * How secret material travels in the edge table: the fields listed per middleware type are
 * removed from its configuration and replaced by `sealed`, a compact JWE (ECDH-ES+A256KW on
 * P-256, A256GCM) of a JSON object holding them, encrypted to a key only the edge holds. The
 * control plane seals (control-plane/publish/seal-secrets.ts), the edge opens
 * (edge-worker/src/secrets/unseal.ts); KV never sees the plaintext.
 *
 * @module
 */

/**
 * Configuration fields that are secret, per middleware type. forwardAuth's TLS material (a
 * client key) and rateLimit's Redis settings (a password) are refused by the edge, which never
 * opens them; they are sealed all the same, so KV holds no secret in plain text.
 */
export const SEALED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  basicAuth: ['users'],
  digestAuth: ['users'],
  forwardAuth: ['tls'],
  rateLimit: ['redis'],
}

/** The field that carries the JWE in a sealed configuration. */
export const SEALED = 'sealed'

export const SEAL_ALG = 'ECDH-ES+A256KW'
export const SEAL_ENC = 'A256GCM'
/** JWE `typ`: tells a sealed table secret from any other JWE. */
export const SEAL_TYP = 'traefik-edge-secret+jwe'

/** The worker binding holding the private key: a JWK, or a JWK set during a rotation (matched by `kid`). */
export const SECRETS_KEY_BINDING = 'SECRETS_KEY'

/** Whether a middleware configuration carries sealed fields (or says they were withheld: `sealed: null`). */
export function isSealed(config: unknown): config is Record<string, unknown> & { sealed: string | null } {
  if (typeof config !== 'object' || config === null) return false
  const v = (config as Record<string, unknown>)[SEALED]
  return typeof v === 'string' || v === null
}
