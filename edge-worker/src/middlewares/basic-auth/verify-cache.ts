/**
 * Remembered password checks: bcrypt costs milliseconds of CPU per check (and MD5-crypt a
 * thousand MD5 rounds), far more than a request should. Keyed by a SHA-256 of user, secret and
 * password, so no password is kept; bounded, oldest first out. Per isolate.
 *
 * The user is part of the key so that a remembered answer is never shared between names: an
 * unknown name is checked against a decoy secret (./index.ts), and one answer for every unknown
 * name would make unknown names fast after the first, existing ones slow (issue 17).
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js'

const MAX_ENTRIES = 4096
const results = new Map<string, boolean>()
const utf8 = new TextEncoder()

export function checkKey(user: string, secret: string, password: Uint8Array): string {
  const u = utf8.encode(user)
  const s = utf8.encode(secret)
  // Lengths first: no two (user, secret, password) give the same input.
  const input = new Uint8Array(8 + u.length + s.length + password.length)
  const view = new DataView(input.buffer)
  view.setUint32(0, u.length)
  view.setUint32(4, s.length)
  input.set(u, 8)
  input.set(s, 8 + u.length)
  input.set(password, 8 + u.length + s.length)
  let key = ''
  for (const b of sha256(input)) key += String.fromCharCode(b)
  return key
}

export function remembered(key: string): boolean | undefined {
  return results.get(key)
}

export function remember(key: string, ok: boolean): void {
  if (results.size >= MAX_ENTRIES) results.delete(results.keys().next().value!)
  results.set(key, ok)
}
