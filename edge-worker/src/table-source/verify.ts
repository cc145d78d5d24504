// Checks a table before the edge trusts it: the pointer's JWS against the configured JWKS, and each
// blob against the digest the signed pointer names. One signature per version, not per blob.
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose'
import { POINTER_TYP, blobDigest, parseManifest, sha256Hex, type TableManifest } from '../../../shared/kv/layout.ts'

const ALGORITHMS = ['Ed25519', 'EdDSA', 'ES256']

export type PointerVerifier = (jws: string) => Promise<TableManifest | { error: string }>

/** Parses the JWKS text the worker is configured with; throws a located error when unusable. */
export function parseJwks(text: string | undefined, name = 'TABLE_JWKS'): JSONWebKeySet {
  if (!text) throw new Error(`${name} is not set: the edge cannot verify any table`)
  let jwks: unknown
  try {
    jwks = JSON.parse(text)
  } catch {
    throw new Error(`${name} is not JSON`)
  }
  const keys = (jwks as JSONWebKeySet | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${name} has no keys`)
  return jwks as JSONWebKeySet
}

export function pointerVerifier(jwks: JSONWebKeySet): PointerVerifier {
  const keySet = createLocalJWKSet(jwks)
  return async (jws) => {
    let payload: Uint8Array
    try {
      const verified = await compactVerify(jws, keySet, { algorithms: ALGORITHMS })
      if (verified.protectedHeader.typ !== POINTER_TYP) {
        return { error: `pointer is a ${String(verified.protectedHeader.typ)} token, not a table` }
      }
      payload = verified.payload
    } catch (err) {
      return { error: `pointer signature refused: ${(err as Error).message}` }
    }
    try {
      return parseManifest(JSON.parse(new TextDecoder().decode(payload)))
    } catch {
      return { error: 'pointer payload is not JSON' }
    }
  }
}

/** The blob's text once it matches its digest (parsed later, or in parts, by the caller). */
export async function verifyBlob(text: string, digest: string, what: string): Promise<string> {
  // 64 characters: a layout-1 (hex) digest; layout 2's are 43 (base64url).
  const actual = digest.length === 64 ? await sha256Hex(text) : await blobDigest(text)
  if (actual !== digest) {
    throw new Error(`${what} blob ${digest.slice(0, 12)} does not match its digest (tampered or truncated)`)
  }
  return text
}
