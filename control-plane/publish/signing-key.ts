// The key the control plane signs table pointers with, and the JWKS the edge verifies them with.
// Local development generates an Ed25519 key on first run into a gitignored state directory;
// deployments point at a key file (a mounted Secret). Rotation: publish the next key's public JWK
// to the edge's JWKS first, then switch the signing key.
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose'
import { POINTER_TYP } from '../../shared/kv/layout.ts'
import { publicJwk, readKeyFile } from './jwks.ts'

export interface TableSigner {
  readonly kid: string
  readonly alg: string
  /** Compact JWS over the UTF-8 payload. */
  sign(payload: string): Promise<string>
  /** The public half, to hand to the edge (merge with the next key's before rotating). */
  readonly jwks: JSONWebKeySet
}

/** Builds a signer from a private JWK (`alg` defaults from the key type; `kid` from its thumbprint). */
export async function signerFromJwk(privateJwk: JWK): Promise<TableSigner> {
  if (!privateJwk.d) throw new Error('signing key: the JWK has no private part (d)')
  let pub: JWK
  try {
    pub = await publicJwk(privateJwk)
  } catch (err) {
    throw new Error(`signing key: ${(err as Error).message}`)
  }
  const alg = pub.alg!
  const kid = pub.kid!
  const key = await importJWK({ ...privateJwk, alg }, alg)
  return {
    kid,
    alg,
    jwks: { keys: [pub] },
    sign: (payload) => new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg, kid, typ: POINTER_TYP }).sign(key),
  }
}

/** Reads a private key file: a JWK (JSON) or a PKCS#8 PEM (then `alg` is required, `kid` optional). */
export async function loadSigningKey(path: string, pem?: { alg: string; kid?: string }): Promise<TableSigner> {
  try {
    return await signerFromJwk(await readKeyFile(path, pem))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw err
    throw new Error(`signing key ${path}: ${(err as Error).message}`)
  }
}

/** The local development key: reused from `path` when present, else generated and saved (0600). */
export async function loadOrCreateDevSigningKey(path: string): Promise<TableSigner> {
  try {
    return await loadSigningKey(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const { privateKey } = await generateKeyPair('Ed25519', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), alg: 'Ed25519' }
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, JSON.stringify(jwk, null, 2) + '\n', { mode: 0o600 })
  await chmod(path, 0o600)
  return signerFromJwk(jwk)
}
