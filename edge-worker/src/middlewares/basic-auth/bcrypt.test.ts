/**
 * The stepwise bcrypt check against bcryptjs (random passwords, salts and costs, as bytes and as
 * text) and Go's revisions; Traefik's own bcrypt vectors run through basicAuth in index.test.ts.
 */
import bcrypt from 'bcryptjs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bcryptCheck, bcryptCost, bcryptSteps } from './bcrypt.ts'

const utf8 = new TextEncoder()

describe('bcrypt in steps', () => {
  it('agrees with bcryptjs on random passwords, salts and costs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 90, unit: 'grapheme' }), fc.integer({ min: 4, max: 5 }), (password, cost) => {
        const hash = bcrypt.hashSync(password, bcrypt.genSaltSync(cost))
        expect(bcryptCheck(utf8.encode(password), hash)).toBe(true)
        expect(bcryptCheck(utf8.encode(`${password}x`), hash)).toBe(utf8.encode(password).length >= 72)
      }),
      { numRuns: 60 },
    )
  })

  it('reads every revision go-http-auth gives Go, and refuses what is not a bcrypt hash', () => {
    const hash = bcrypt.hashSync('pass', 4) // $2b$
    for (const rev of ['$2a$', '$2b$', '$2x$', '$2y$']) expect(bcryptCheck(utf8.encode('pass'), rev + hash.slice(4)), rev).toBe(true)
    expect(bcryptCheck(utf8.encode('pass'), `$2$${hash.slice(4)}`)).toBe(false)
    expect(bcryptCheck(utf8.encode('pass'), hash.replace('$04$', '$03$'))).toBe(false)
    expect(bcryptCheck(utf8.encode('pass'), hash.slice(0, -1))).toBe(false)
    expect(bcryptCheck(utf8.encode('pass'), hash.replace('$2b$', '$3b$'))).toBe(false)
    expect(bcryptCost(hash)).toBe(4)
    expect(bcryptCost('$apr1$x$y')).toBeNull()
  })

  it('checks the bytes sent, not a text decoding of them', () => {
    const latin1 = Uint8Array.of(0x63, 0x61, 0x66, 0xe9) // "café" in Latin-1: not UTF-8
    const hash = bcrypt.hashSync('caf\u00e9', 4) // UTF-8 bytes 63 61 66 c3 a9
    expect(bcryptCheck(utf8.encode('caf\u00e9'), hash)).toBe(true)
    expect(bcryptCheck(latin1, hash)).toBe(false)
  })

  it('yields between rounds: a cost-10 check is many short steps', () => {
    const hash = bcrypt.hashSync('pass', 6)
    const steps = bcryptSteps(utf8.encode('pass'), hash)
    let yields = 0
    let r = steps.next()
    while (!r.done) {
      yields++
      r = steps.next()
    }
    expect(r.value).toBe(true)
    // 64 rounds at 32 a step.
    expect(yields).toBe(1)
    const ten = bcryptSteps(utf8.encode('pass'), hash.replace('$06$', '$10$'))
    let n = 0
    while (!ten.next().done) n++
    expect(n).toBe(31)
  })
})
