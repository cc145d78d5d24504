/**
 * bcrypt's hash check (Provos and Mazières' EksBlowfish, as Go's x/crypto/bcrypt runs it), in
 * steps. A check at cost 10 is about 75 ms of CPU; bcryptjs does it in one synchronous call or
 * in slices timed with Date.now(), which workerd freezes while code runs, so its slices never
 * end: either way one wrong password held the isolate and every other request for the whole
 * check. Hand-written for that reason only: the caller (./check-gate.ts) runs one step, lets the
 * event loop turn, and runs the next.
 *
 * The password is the bytes the client sent (Go's: no text decoding), with a NUL appended;
 * Blowfish reads the first 72 bytes of that. Revisions `$2a$`, `$2b$`, `$2x$`, `$2y$` are read
 * alike, as go-http-auth hands them all to Go's bcrypt; costs 4 to 31.
 *
 * @module
 */
import { P_INIT, S_INIT } from './blowfish-init.ts'

/** Expensive rounds per step: about 2 ms of CPU on these machines. */
const ROUNDS_PER_STEP = 32

const B64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const B64_INDEX = new Int8Array(128).fill(-1)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

const HASH = /^\$2[abxy]\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/

/** The cost of a bcrypt hash, or null when `secret` is not one Go reads. */
export function bcryptCost(secret: string): number | null {
  const m = HASH.exec(secret)
  const cost = m ? Number(m[1]) : NaN
  return cost >= 4 && cost <= 31 ? cost : null
}

/**
 * Steps of the check of `password` against `secret` (a `$2?$cost$salt+hash` string): each
 * `yield` is a point where the caller may let other work run. Returns whether it matches.
 */
export function* bcryptSteps(password: Uint8Array, secret: string): Generator<void, boolean, void> {
  const m = HASH.exec(secret)
  const cost = m ? Number(m[1]) : NaN
  if (!m || !(cost >= 4 && cost <= 31)) return false
  const salt = decode64(m[2]!, 16)
  if (salt === null) return false
  const key = new Uint8Array(password.length + 1)
  key.set(password)
  const P = new Int32Array(P_INIT)
  const S = new Int32Array(S_INIT)
  expand(P, S, key, salt)
  const rounds = 2 ** cost
  for (let done = 0; done < rounds; ) {
    const end = Math.min(rounds, done + ROUNDS_PER_STEP)
    for (; done < end; done++) {
      expand(P, S, key, null)
      expand(P, S, salt, null)
    }
    if (done < rounds) yield
  }
  // "OrpheanBeholderScryDoubt", enciphered 64 times.
  const text = Int32Array.of(0x4f727068, 0x65616e42, 0x65686f6c, 0x64657253, 0x63727944, 0x6f756274)
  const lr = new Int32Array(2)
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 6; j += 2) {
      lr[0] = text[j]!
      lr[1] = text[j + 1]!
      encipher(lr, P, S)
      text[j] = lr[0]
      text[j + 1] = lr[1]
    }
  }
  const bytes = new Uint8Array(24)
  for (let i = 0; i < 6; i++) {
    bytes[i * 4] = text[i]! >>> 24
    bytes[i * 4 + 1] = text[i]! >>> 16
    bytes[i * 4 + 2] = text[i]! >>> 8
    bytes[i * 4 + 3] = text[i]!
  }
  // bcrypt keeps 23 of the 24 bytes; compared in time that does not depend on where they differ.
  const computed = encode64(bytes.subarray(0, 23))
  const stored = m[3]!
  let diff = 0
  for (let i = 0; i < 31; i++) diff |= computed.charCodeAt(i) ^ stored.charCodeAt(i)
  return diff === 0
}

/** Runs every step at once (tests, and callers that may block). */
export function bcryptCheck(password: Uint8Array, secret: string): boolean {
  const steps = bcryptSteps(password, secret)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/** The next 32-bit word of `data`, read cyclically from `at[0]`. */
function word(data: Uint8Array, at: Int32Array): number {
  let w = 0
  for (let k = 0; k < 4; k++) {
    w = (w << 8) | data[at[0]!]!
    at[0] = (at[0]! + 1) % data.length
  }
  return w
}

/**
 * Blowfish's key schedule with the key `key`: P xored with the key's words, then P and the
 * S-boxes replaced by successive encryptions, each block first xored with the salt's next words
 * when there is a salt (EksBlowfish's ExpandKey(state, salt, key)).
 */
function expand(P: Int32Array, S: Int32Array, key: Uint8Array, salt: Uint8Array | null): void {
  const at = new Int32Array(1)
  for (let i = 0; i < 18; i++) P[i] = P[i]! ^ word(key, at)
  const lr = new Int32Array(2)
  const saltAt = new Int32Array(1)
  // P first, then the S-boxes: each block is the encryption of the one before, across both.
  for (const box of [P, S]) {
    for (let i = 0; i < box.length; i += 2) {
      if (salt) {
        lr[0] = lr[0]! ^ word(salt, saltAt)
        lr[1] = lr[1]! ^ word(salt, saltAt)
      }
      encipher(lr, P, S)
      box[i] = lr[0]!
      box[i + 1] = lr[1]!
    }
  }
}

/** One Blowfish block encryption of lr in place (16 Feistel rounds). */
function encipher(lr: Int32Array, P: Int32Array, S: Int32Array): void {
  let l = lr[0]! ^ P[0]!
  let r = lr[1]!
  for (let i = 1; i <= 16; i += 2) {
    r ^= ((((S[l >>> 24]! + S[256 | ((l >>> 16) & 0xff)]!) | 0) ^ S[512 | ((l >>> 8) & 0xff)]!) + S[768 | (l & 0xff)]!) ^ P[i]!
    l ^= ((((S[r >>> 24]! + S[256 | ((r >>> 16) & 0xff)]!) | 0) ^ S[512 | ((r >>> 8) & 0xff)]!) + S[768 | (r & 0xff)]!) ^ P[i + 1]!
  }
  lr[0] = r ^ P[17]!
  lr[1] = l
}

/** bcrypt's base64 (its own alphabet, no padding) of `text`, to `length` bytes; null if malformed. */
function decode64(text: string, length: number): Uint8Array | null {
  const out = new Uint8Array(length)
  let n = 0
  for (let i = 0; i < text.length && n < length; i += 4) {
    const c = [0, 1, 2, 3].map((k) => (i + k < text.length ? (B64_INDEX[text.charCodeAt(i + k)] ?? -1) : 0))
    if (c.some((v) => v < 0)) return null
    out[n++] = (c[0]! << 2) | (c[1]! >> 4)
    if (n < length && i + 2 < text.length) out[n++] = ((c[1]! & 0x0f) << 4) | (c[2]! >> 2)
    if (n < length && i + 3 < text.length) out[n++] = ((c[2]! & 0x03) << 6) | c[3]!
  }
  return n === length ? out : null
}

function encode64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!
    const b1 = i + 1 < bytes.length ? bytes[i + 1]! : 0
    const b2 = i + 2 < bytes.length ? bytes[i + 2]! : 0
    out += B64[b0 >> 2]! + B64[((b0 & 0x03) << 4) | (b1 >> 4)]!
    if (i + 1 < bytes.length) out += B64[((b1 & 0x0f) << 2) | (b2 >> 6)]!
    if (i + 2 < bytes.length) out += B64[b2 & 0x3f]!
  }
  return out
}
