/**
 * Opens the sealed part of a middleware's configuration (shared/secrets/format.ts) with the private key in
 * the SECRETS_KEY binding. Each sealed value is decrypted once per isolate (a JWE names one
 * table content: the control plane reuses it for the same plaintext), however many routers use
 * the middleware.
 *
 * @module
 */
import { compactDecrypt, importJWK, type CryptoKey, type JWK } from 'jose'
import { SEAL_ALG, SEAL_ENC, SEAL_TYP, SEALED, SEALED_FIELDS, SECRETS_KEY_BINDING } from '../../../shared/secrets/format.ts'

export { isSealed } from '../../../shared/secrets/format.ts'

const MAX_OPENED = 1024
const opened = new Map<string, Promise<Record<string, unknown>>>()
let keys: { source: string; byKid: Promise<Map<string, CryptoKey>> } | null = null

/**
 * The configuration with its sealed fields restored. Rejects with a message naming the cause
 * (no key binding, a key that does not match, a tampered value); never returns partial data.
 */
export async function unseal<T>(type: string, config: Record<string, unknown> & { sealed: string | null }, env: Record<string, unknown>): Promise<T> {
  const { [SEALED]: jwe, ...rest } = config
  if (jwe === null) throw new Error(`${type}: its secrets were withheld from the table (the control plane has no secrets key to seal them)`)
  let fields = opened.get(jwe)
  if (!fields) {
    fields = open(jwe, env)
    if (opened.size >= MAX_OPENED) opened.delete(opened.keys().next().value!)
    opened.set(jwe, fields)
    // A failure is not remembered: a key added to the binding later may open it.
    fields.catch(() => opened.delete(jwe))
  }
  const secret = await fields
  const allowed = SEALED_FIELDS[type] ?? []
  for (const name of Object.keys(secret)) {
    if (!allowed.includes(name)) throw new Error(`sealed configuration: field ${name} is not a secret of ${type}`)
  }
  return { ...rest, ...secret } as T
}

async function open(jwe: string, env: Record<string, unknown>): Promise<Record<string, unknown>> {
  const byKid = await privateKeys(env)
  let plaintext: Uint8Array
  try {
    ;({ plaintext } = await compactDecrypt(
      jwe,
      (header) => {
        if (header.alg !== SEAL_ALG || header.enc !== SEAL_ENC || header.typ !== SEAL_TYP) {
          throw new Error(`unexpected JWE header ${JSON.stringify({ alg: header.alg, enc: header.enc, typ: header.typ })}`)
        }
        const key = header.kid === undefined ? (byKid.size === 1 ? [...byKid.values()][0] : undefined) : byKid.get(header.kid)
        if (!key) throw new Error(`no key ${JSON.stringify(header.kid)} in ${SECRETS_KEY_BINDING}`)
        return key
      },
      { keyManagementAlgorithms: [SEAL_ALG], contentEncryptionAlgorithms: [SEAL_ENC] },
    ))
  } catch (err) {
    throw new Error(`sealed configuration cannot be opened: ${(err as Error).message}`)
  }
  const value = JSON.parse(new TextDecoder().decode(plaintext)) as unknown
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('sealed configuration is not an object')
  return value as Record<string, unknown>
}

function privateKeys(env: Record<string, unknown>): Promise<Map<string, CryptoKey>> {
  const source = env[SECRETS_KEY_BINDING]
  if (typeof source !== 'string' || source === '') {
    return Promise.reject(new Error(`sealed configuration cannot be opened: the worker has no ${SECRETS_KEY_BINDING} binding`))
  }
  if (keys?.source !== source) keys = { source, byKid: importKeys(source) }
  return keys.byKid
}

async function importKeys(source: string): Promise<Map<string, CryptoKey>> {
  let parsed: { keys?: JWK[] } & JWK
  try {
    parsed = JSON.parse(source) as { keys?: JWK[] } & JWK
  } catch {
    throw new Error(`${SECRETS_KEY_BINDING} is not JSON (a private JWK or a JWK set)`)
  }
  const list = Array.isArray(parsed.keys) ? parsed.keys : [parsed]
  const out = new Map<string, CryptoKey>()
  for (const [i, jwk] of list.entries()) {
    if (!jwk.d) throw new Error(`${SECRETS_KEY_BINDING} key ${jwk.kid ?? i} has no private part`)
    out.set(jwk.kid ?? String(i), (await importJWK(jwk, SEAL_ALG)) as CryptoKey)
  }
  return out
}
