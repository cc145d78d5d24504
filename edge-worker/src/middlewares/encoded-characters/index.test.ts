import { describe, expect, it } from 'vitest'
import { ENCODED_CHARACTER_OPTIONS, entryPointDenial } from './index.ts'

// pkg/config/dynamic TestEncodedCharactersMap (the entry point's map), transcribed: with nothing
// allowed every code is refused; allowing one option lets exactly its codes through.
const CODES: Record<string, string[]> = {
  allowEncodedSlash: ['%2F', '%2f'],
  allowEncodedBackSlash: ['%5C', '%5c'],
  allowEncodedNullCharacter: ['%00'],
  allowEncodedSemicolon: ['%3B', '%3b'],
  allowEncodedPercent: ['%25'],
  allowEncodedQuestionMark: ['%3F', '%3f'],
  allowEncodedHash: ['%23'],
}
const ALL = Object.values(CODES).flat()

describe("the entry point's encoded characters (ALLOW_ENCODED_CHARACTERS)", () => {
  it('Handles empty configuration: every code refused, with 400 and no body', async () => {
    const check = entryPointDenial(undefined)
    for (const code of ALL) {
      const res = check(`/a${code}b`)
      expect(res?.status, code).toBe(400)
      expect(await res!.text()).toBe('')
    }
    expect(check('/a%20b%41')).toBeNull()
    expect(check('/a%2')?.status).toBe(400)
  })

  for (const option of ENCODED_CHARACTER_OPTIONS) {
    it(`Exclude ${option} when allowed`, () => {
      const check = entryPointDenial(option)
      for (const code of ALL) expect(check(`/a${code}b`) === null, `${option} ${code}`).toBe(CODES[option]!.includes(code))
    })
  }

  it('`*` allows them all', () => {
    const check = entryPointDenial('*')
    for (const code of ALL) expect(check(`/a${code}b`)).toBeNull()
  })
})
