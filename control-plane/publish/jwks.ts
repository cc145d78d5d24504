// Key rotation for table signatures: the edge verifies against every key in its TABLE_JWKS, so the
// next key's public half is added there (and deployed) before the control plane signs with it, and
// the old one is dropped once no pointer signed by it can still be served. This builds that JWKS
// from key files (private or public JWK, PKCS#8 or SPKI PEM) and generates new keys with a kid.
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importPKCS8, importSPKI, type JSONWebKeySet, type JWK } from 'jose'

const ALGS = new Set(['Ed25519', 'EdDSA', 'ES256'])

/** The public half of a key, with `alg`, `kid` (given, or the RFC 7638 thumbprint) and `use: sig`. */
export async function publicJwk(key: JWK): Promise<JWK> {
  const alg = key.alg ?? (key.kty === 'OKP' ? 'Ed25519' : key.kty === 'EC' ? 'ES256' : undefined)
  if (!alg || !ALGS.has(alg)) throw new Error(`algorithm ${alg ?? `of a ${key.kty} key`} is not supported (use Ed25519 or ES256)`)
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _ops, ext: _ext, ...pub } = key
  const kid = key.kid ?? (await calculateJwkThumbprint(pub))
  return { ...pub, alg, kid, use: 'sig' }
}

/** Reads a key file: JWK (private or public) or PEM (PKCS#8 private or SPKI public; needs `alg`). */
export async function readKeyFile(path: string, pem: { alg?: string; kid?: string } = {}): Promise<JWK> {
  const text = await readFile(path, 'utf8')
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as JWK
    } catch (err) {
      throw new Error(`not JSON: ${(err as Error).message}`)
    }
  }
  if (!pem.alg) throw new Error('a PEM key needs its algorithm (Ed25519 or ES256)')
  const key = text.includes('PUBLIC KEY') ? await importSPKI(text, pem.alg, { extractable: true }) : await importPKCS8(text, pem.alg, { extractable: true })
  return { ...(await exportJWK(key)), alg: pem.alg, ...(pem.kid ? { kid: pem.kid } : {}) }
}

/** One JWKS of the keys' public halves; two keys with one kid but different material are refused. */
export async function jwksOf(keys: readonly JWK[]): Promise<JSONWebKeySet> {
  const byKid = new Map<string, JWK>()
  for (const key of keys) {
    const pub = await publicJwk(key)
    const seen = byKid.get(pub.kid!)
    if (seen && JSON.stringify(seen) !== JSON.stringify(pub)) throw new Error(`two different keys share the kid "${pub.kid}"`)
    byKid.set(pub.kid!, pub)
  }
  if (byKid.size === 0) throw new Error('no keys')
  return { keys: [...byKid.values()] }
}

/** A new private signing key as a JWK with `alg` and `kid`, written with mode 0600. */
export async function generateSigningKey(path: string, options: { alg?: 'Ed25519' | 'ES256'; kid?: string } = {}): Promise<JWK> {
  const alg = options.alg ?? 'Ed25519'
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), alg }
  const kid = options.kid ?? (await publicJwk(jwk)).kid!
  const full = { ...jwk, kid }
  await writeFile(path, JSON.stringify(full, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
  await chmod(path, 0o600)
  return full
}
