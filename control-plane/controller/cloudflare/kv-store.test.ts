import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pairBytes } from './kv-store.ts'

describe('pairBytes', () => {
  it("is the UTF-8 length of the bulk write's JSON pair, for any key and value", () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.string({ unit: 'grapheme' }))
    fc.assert(
      fc.property(text, text, (key, value) => {
        expect(pairBytes(key, value)).toBe(Buffer.byteLength(JSON.stringify({ key, value })))
      }),
      { numRuns: 500 },
    )
  })

  it('measures blob-sized JSON texts with quotes and backslashes', () => {
    const value = JSON.stringify({
      hosts: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`h${i}.test`, { rule: 'Path(`/a\\\\b`)', note: 'é "x"' }])),
    })
    expect(pairBytes('table/blob/abc', value)).toBe(Buffer.byteLength(JSON.stringify({ key: 'table/blob/abc', value })))
  })
})
