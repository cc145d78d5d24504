/**
 * Sealing the table's secrets (shared/secrets/format.ts): before a table
 * is stored, every middleware's secret fields (basicAuth and digestAuth users) are replaced by a
 * JWE encrypted to the edge's public key. Without a key they are withheld rather than stored in
 * plain text: the middleware then fails closed at the edge (500), never open.
 *
 * The same plaintext seals to the same JWE for the life of a sealer, so an unchanged table
 * packs to the same content-addressed blobs and republishing it writes nothing.
 *
 * Keys: the control plane needs only the public JWK; the edge gets the private one in its
 * SECRETS_KEY binding. Local runs generate a pair into the state directory.
 *
 * @module
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CompactEncrypt, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'
import { SEAL_ALG, SEAL_ENC, SEAL_TYP, SEALED, SEALED_FIELDS } from '../../shared/secrets/format.ts'

export { SECRETS_KEY_BINDING } from '../../shared/secrets/format.ts'

export interface SecretsSealer {
  readonly kid: string
  /** Compact JWE of the UTF-8 text, to the edge's key. */
  seal(plaintext: string): Promise<string>
}

/** Seals built tables this many distinct plaintexts back; older ones are encrypted afresh. */
const MAX_REMEMBERED = 10_000

/** A sealer for a P-256 JWK (public or private; only the public part is used). */
export async function secretsSealer(jwk: JWK): Promise<SecretsSealer> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error(`secrets key: an EC P-256 JWK is required (got ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''})`)
  const { d: _d, ...publicJwk } = jwk
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk))
  const key = await importJWK({ ...publicJwk, alg: SEAL_ALG }, SEAL_ALG)
  const remembered = new Map<string, Promise<string>>()
  return {
    kid,
    seal(plaintext) {
      let jwe = remembered.get(plaintext)
      if (!jwe) {
        jwe = new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: SEAL_ALG, enc: SEAL_ENC, typ: SEAL_TYP, kid }).encrypt(key)
        if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!)
        remembered.set(plaintext, jwe)
        jwe.catch(() => remembered.delete(plaintext))
      }
      return jwe
    },
  }
}

export interface SecretsKeyPair {
  sealer: SecretsSealer
  /** The value of the edge's SECRETS_KEY binding (the private JWK as JSON). */
  binding: string
}

/** The local development key pair: reused from `path` when present, else generated and saved (0600). */
export async function loadOrCreateDevSecretsKey(path: string): Promise<SecretsKeyPair> {
  let jwk: JWK
  try {
    jwk = JSON.parse(await readFile(path, 'utf8')) as JWK
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`secrets key ${path}: ${(err as Error).message}`)
    const { privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true })
    const exported = await exportJWK(privateKey)
    jwk = { ...exported, kid: await calculateJwkThumbprint({ kty: exported.kty!, crv: exported.crv!, x: exported.x!, y: exported.y! }), alg: SEAL_ALG }
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, JSON.stringify(jwk, null, 2) + '\n', { mode: 0o600 })
    await chmod(path, 0o600)
  }
  if (!jwk.d) throw new Error(`secrets key ${path}: the JWK has no private part (d)`)
  return { sealer: await secretsSealer(jwk), binding: JSON.stringify(jwk) }
}

/** Reads the control plane's key file (a JWK; the public half is enough). */
export async function loadSecretsSealer(path: string): Promise<SecretsSealer> {
  return secretsSealer(JSON.parse(await readFile(path, 'utf8')) as JWK)
}

interface PartLike {
  middlewares?: Record<string, { type?: unknown; config?: unknown }>
}

/**
 * The table (any part shape: whole, or split as the publisher takes it) with every secret field
 * sealed, or withheld (`sealed: null`) when there is no sealer. The input is not changed.
 */
export async function sealTableSecrets<T extends { routes: { rest: unknown; hosts: Record<string, unknown> | Map<string, unknown> } }>(
  input: T,
  sealer: SecretsSealer | null,
): Promise<T> {
  const sealPart = (part: unknown) => sealTablePart(part, sealer)
  const hosts = input.routes.hosts
  const sealedHosts =
    hosts instanceof Map
      ? new Map(await Promise.all([...hosts].map(async ([h, p]) => [h, await sealPart(p)] as const)))
      : Object.fromEntries(await Promise.all(Object.entries(hosts).map(async ([h, p]) => [h, await sealPart(p)] as const)))
  return { ...input, routes: { ...input.routes, rest: await sealPart(input.routes.rest), hosts: sealedHosts } }
}

/** One part of the table with its secret fields sealed (the part itself when it has none). */
export async function sealTablePart<T>(part: T, sealer: SecretsSealer | null): Promise<T> {
  const mws = (part as PartLike | null)?.middlewares
  if (typeof part !== 'object' || part === null || typeof mws !== 'object' || mws === null) return part
  let changed = false
  const out: Record<string, unknown> = {}
  for (const [key, mw] of Object.entries(mws)) {
    const sealedMw = await sealMiddleware(mw, sealer)
    if (sealedMw !== mw) changed = true
    out[key] = sealedMw
  }
  return changed ? { ...part, middlewares: out } : part
}

async function sealMiddleware(mw: { type?: unknown; config?: unknown }, sealer: SecretsSealer | null): Promise<unknown> {
  const fields = typeof mw?.type === 'string' ? SEALED_FIELDS[mw.type] : undefined
  const config = mw?.config as Record<string, unknown> | undefined
  if (!fields || typeof config !== 'object' || config === null || SEALED in config) return mw
  const secret: Record<string, unknown> = {}
  const rest: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(config)) (fields.includes(k) ? secret : rest)[k] = v
  if (Object.keys(secret).length === 0) return mw
  return { ...mw, config: { ...rest, [SEALED]: sealer ? await sealer.seal(JSON.stringify(secret)) : null } }
}
