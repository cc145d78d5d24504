/**
 * Manifest bytes to text without hiding what is not UTF-8: a file is decoded by the runtime's
 * decoder when it is valid (nearly always), else byte by byte (WHATWG's decoding: each maximal
 * invalid subsequence becomes one U+FFFD), noting where each one stands in the text, so that the
 * loader refuses the objects holding them (go-yaml refuses such a file; replacing the bytes in
 * silence would route on a rule nobody wrote).
 *
 * @module
 */

export interface InvalidUtf8 {
  /** Offset (UTF-16 code units) of its U+FFFD in the decoded text. */
  at: number
  /** The first byte of the invalid sequence. */
  byte: number
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export function decodeUtf8(bytes: Uint8Array): { text: string; invalid: InvalidUtf8[] } {
  try {
    return { text: strict.decode(bytes), invalid: [] }
  } catch {
    return decodeSlowly(bytes)
  }
}

function decodeSlowly(bytes: Uint8Array): { text: string; invalid: InvalidUtf8[] } {
  const parts: string[] = []
  const invalid: InvalidUtf8[] = []
  let length = 0
  const push = (s: string) => {
    parts.push(s)
    length += s.length
  }
  // A byte order mark is not text, as the runtime's decoder has it.
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  let ascii = i
  const flushAscii = (to: number) => {
    if (to > ascii) push(String.fromCharCode(...bytes.subarray(ascii, to)))
  }
  while (i < bytes.length) {
    const b = bytes[i]!
    if (b < 0x80) {
      i++
      if (i - ascii >= 4096) {
        flushAscii(i)
        ascii = i
      }
      continue
    }
    flushAscii(i)
    let need = 0
    let lower = 0x80
    let upper = 0xbf
    let cp = 0
    if (b >= 0xc2 && b <= 0xdf) (need = 1), (cp = b & 0x1f)
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      cp = b & 0x0f
      if (b === 0xe0) lower = 0xa0
      if (b === 0xed) upper = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      cp = b & 0x07
      if (b === 0xf0) lower = 0x90
      if (b === 0xf4) upper = 0x8f
    }
    let j = i + 1
    let ok = need > 0
    for (let k = 0; ok && k < need; k++, j++) {
      const c = bytes[j]
      if (c === undefined || c < (k === 0 ? lower : 0x80) || c > (k === 0 ? upper : 0xbf)) ok = false
      else cp = (cp << 6) | (c & 0x3f)
    }
    if (ok) {
      push(String.fromCodePoint(cp))
      i = j
    } else {
      invalid.push({ at: length, byte: b })
      push('\ufffd')
      // The byte that broke the sequence starts the next one (it may be valid).
      i = need > 0 ? Math.max(i + 1, j - 1) : i + 1
    }
    ascii = i
  }
  flushAscii(i)
  return { text: parts.join(''), invalid }
}
