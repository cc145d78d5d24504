/**
 * MD5-crypt (`$1$`, Apache's `$apr1$`): Poul-Henning Kamp's algorithm over any magic, as
 * htpasswd and Traefik's go-http-auth compute it.
 *
 * Hand-written over @noble/hashes' MD5: the npm implementations (apache-md5) need node:crypto,
 * which the worker does not have, and WebCrypto has no MD5.
 *
 * @module
 */
import { md5 } from '@noble/hashes/legacy.js'

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
// Which digest bytes feed each group of four output characters.
const SWAPS = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11]

/** `magic + salt + '$' + hash` for the password (all as bytes; salt used as given). */
export function md5Crypt(password: Uint8Array, salt: Uint8Array, magic: Uint8Array): string {
  const alternate = md5.create().update(password).update(salt).update(password).digest()
  const first = md5.create().update(password).update(magic).update(salt)
  for (let i = 0; i < password.length; i++) first.update(alternate.subarray(i % 16, (i % 16) + 1))
  for (let i = password.length; i !== 0; i >>= 1) first.update(i & 1 ? new Uint8Array(1) : password.subarray(0, 1))
  let final = first.digest()
  for (let i = 0; i < 1000; i++) {
    const round = md5.create().update(i & 1 ? password : final)
    if (i % 3 !== 0) round.update(salt)
    if (i % 7 !== 0) round.update(password)
    final = round.update(i & 1 ? final : password).digest()
  }
  let out = ''
  let v = 0
  let bits = 0
  for (const i of SWAPS) {
    v |= final[i]! << bits
    for (bits += 8; bits > 6; bits -= 6) {
      out += ITOA64[v & 0x3f]
      v >>>= 6
    }
  }
  out += ITOA64[v & 0x3f]
  const text = new TextDecoder()
  return `${text.decode(magic)}${text.decode(salt)}$${out}`
}
