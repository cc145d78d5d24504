/**
 * Remembered password checks: bcrypt costs milliseconds of CPU per check (and MD5-crypt a
 * thousand MD5 rounds), far more than a request should. Keyed by a SHA-256 of secret and
 * password, so no password is kept; bounded, oldest first out. Per isolate.
 *
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js'

const MAX_ENTRIES = 4096
const results = new Map<string, boolean>()
const utf8 = new TextEncoder()

export function cachedCheck(secret: string, password: Uint8Array, check: () => boolean): boolean {
  const s = utf8.encode(secret)
  const input = new Uint8Array(s.length + 1 + password.length)
  input.set(s)
  input.set(password, s.length + 1)
  let key = ''
  for (const b of sha256(input)) key += String.fromCharCode(b)
  const known = results.get(key)
  if (known !== undefined) return known
  const ok = check()
  if (results.size >= MAX_ENTRIES) results.delete(results.keys().next().value!)
  results.set(key, ok)
  return ok
}
