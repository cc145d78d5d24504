/**
 * Digest nonces that every isolate recognises. Traefik keeps the nonces it issued in process
 * memory; an edge runs many isolates, so a nonce here carries its issue time and an HMAC over
 * it instead, keyed by a secret derived from the middleware's users (never sent), and is valid
 * for NONCE_LIFETIME_MS. The nonce count must grow per nonce, checked within an isolate (a
 * replay to another isolate within the lifetime is not detected).
 *
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { sameString } from '../toolkit/constant-time.ts'

export const NONCE_LIFETIME_MS = 5 * 60_000
const MAX_TRACKED = 10_000
const utf8 = new TextEncoder()

export interface Nonces {
  /** A fresh nonce. */
  issue(now?: number): string
  /** `ok`, or `stale` (expired, or a nonce count that did not grow), or `invalid` (not ours). */
  check(nonce: string, nc: number, now?: number): 'ok' | 'stale' | 'invalid'
  /** A value derived from the key, stable across isolates: the challenge's `opaque`. */
  readonly opaque: string
}

export function nonces(secret: string): Nonces {
  const key = sha256(utf8.encode(`traefik-edge digest nonce\n${secret}`))
  const sign = (text: string) => btoa(String.fromCharCode(...hmac(sha256, key, utf8.encode(text)).subarray(0, 18)))
  const counts = new Map<string, number>()
  return {
    opaque: sign('opaque'),
    issue(now = Date.now()) {
      const stamp = now.toString(36)
      return `${stamp}.${sign(stamp)}`
    },
    check(nonce, nc, now = Date.now()) {
      const dot = nonce.indexOf('.')
      const stamp = nonce.slice(0, dot)
      if (dot === -1 || !sameString(nonce.slice(dot + 1), sign(stamp))) return 'invalid'
      const issued = parseInt(stamp, 36)
      if (!(now - issued < NONCE_LIFETIME_MS) || issued > now + 60_000) return 'stale'
      const last = counts.get(nonce)
      if (last !== undefined && last >= nc) return 'stale'
      if (counts.size >= MAX_TRACKED) counts.delete(counts.keys().next().value!)
      counts.delete(nonce)
      counts.set(nonce, nc)
      return 'ok'
    },
  }
}
