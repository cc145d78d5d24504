/**
 * htpasswd secrets as Traefik checks them (go-http-auth CheckSecret): `{SHA}` base64 SHA-1,
 * bcrypt (`$2a$`, `$2b$`, `$2x$`, `$2y$`), and MD5-crypt for everything else (`$apr1$`, `$1$`;
 * a plaintext secret is read as MD5-crypt too, so it never matches).
 *
 * @module
 */
import { sha1 } from '@noble/hashes/legacy.js'
import { bcryptCheck, bcryptCost, bcryptSteps } from './bcrypt.ts'
import { sameString } from '../toolkit/constant-time.ts'
import { md5Crypt } from './md5-crypt.ts'

const utf8 = new TextEncoder()

/** Whether checking `secret` is expensive enough to go through the gate (./check-gate.ts): bcrypt. */
export function isExpensive(secret: string): boolean {
  return bcryptCost(secret) !== null
}

/** The check of an expensive secret, in steps (bcrypt). */
export function checkSteps(password: Uint8Array, secret: string): Generator<void, boolean, void> {
  return bcryptSteps(password, secret)
}

export function checkSecret(password: Uint8Array, secret: string): boolean {
  if (secret.startsWith('{SHA}')) return sameString(secret.slice(5), btoa(String.fromCharCode(...sha1(password))))
  if (/^\$2[abxy]\$/.test(secret)) return bcryptCheck(password, secret)
  const parts = secret.split('$')
  if (parts.length < 4) return false
  const [, magic, salt] = parts as [string, string, string]
  return sameString(secret, md5Crypt(password, utf8.encode(salt), utf8.encode(`$${magic}$`)))
}

/** How expensive a secret is to check, to order them: bcrypt by cost, then MD5-crypt, then SHA-1. */
export function checkCost(secret: string): number {
  const cost = bcryptCost(secret)
  if (cost !== null) return 2 ** cost
  return secret.startsWith('{SHA}') ? 0 : 1
}
