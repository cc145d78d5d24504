import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeUtf8 } from './utf8.ts'

describe('decodeUtf8', () => {
  it('gives the text WHATWG decoding gives, and where each replacement stands', () => {
    const lenient = new TextDecoder()
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const { text, invalid } = decodeUtf8(bytes)
        expect(text).toBe(lenient.decode(bytes))
        for (const x of invalid) expect(text[x.at]).toBe('\ufffd')
      }),
      { numRuns: 2000 },
    )
  })

  it('notes nothing for valid text, BOM and all', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('caf\u00e9 \u{1f600}')])
    expect(decodeUtf8(bytes)).toEqual({ text: 'caf\u00e9 \u{1f600}', invalid: [] })
  })

  it('notes the first byte of each invalid sequence', () => {
    const { text, invalid } = decodeUtf8(new Uint8Array([0x61, 0xc3, 0x28, 0xe0, 0xa0, 0x41, 0xff]))
    expect(text).toBe('a\ufffd(\ufffdA\ufffd')
    expect(invalid).toEqual([
      { at: 1, byte: 0xc3 },
      { at: 3, byte: 0xe0 },
      { at: 5, byte: 0xff },
    ])
  })
})
