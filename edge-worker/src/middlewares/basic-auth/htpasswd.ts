/**
 * htpasswd secrets as Traefik checks them (go-http-auth CheckSecret): `{SHA}` base64 SHA-1,
 * bcrypt (`$2a$`, `$2b$`, `$2x$`, `$2y$`), and MD5-crypt for everything else (`$apr1$`, `$1$`;
 * a plaintext secret is read as MD5-crypt too, so it never matches).
 *
 * @module
 */
import bcrypt from 'bcryptjs'
import { sha1 } from '@noble/hashes/legacy.js'
import { sameString } from '../toolkit/constant-time.ts'
import { md5Crypt } from './md5-crypt.ts'

const utf8 = new TextEncoder()

export function checkSecret(password: Uint8Array, secret: string): boolean {
  if (secret.startsWith('{SHA}')) return sameString(secret.slice(5), btoa(String.fromCharCode(...sha1(password))))
  if (/^\$2[abxy]\$/.test(secret)) {
    // bcryptjs refuses the `$2x$` revision; Go's bcrypt reads it as `$2a$`.
    const hash = secret.startsWith('$2x$') ? `$2a$${secret.slice(4)}` : secret
    try {
      return bcrypt.compareSync(new TextDecoder().decode(password), hash)
    } catch {
      return false
    }
  }
  const parts = secret.split('$')
  if (parts.length < 4) return false
  const [, magic, salt] = parts as [string, string, string]
  return sameString(secret, md5Crypt(password, utf8.encode(salt), utf8.encode(`$${magic}$`)))
}
