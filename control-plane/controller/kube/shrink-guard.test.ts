import { describe, expect, it } from 'vitest'
import { countsAgree, needsConfirmation } from './shrink-guard.ts'

describe('shrink guard', () => {
  it('asks for confirmation when the table empties or loses more than maxShrink of its routers', () => {
    expect(needsConfirmation({ lastRouters: null, routers: 0 })).toBe(false)
    expect(needsConfirmation({ lastRouters: 0, routers: 0 })).toBe(false)
    expect(needsConfirmation({ lastRouters: 1, routers: 0 })).toBe(true)
    expect(needsConfirmation({ lastRouters: 100, routers: 50 })).toBe(false)
    expect(needsConfirmation({ lastRouters: 100, routers: 49 })).toBe(true)
    expect(needsConfirmation({ lastRouters: 100, routers: 89, maxShrink: 0.1 })).toBe(true)
    expect(needsConfirmation({ lastRouters: 100, routers: 200 })).toBe(false)
  })

  it('the cache agrees with a fresh list when every listed kind has as many objects', () => {
    const cached = new Map([
      ['IngressRoute', 3],
      ['Middleware', 0],
    ])
    expect(
      countsAgree(
        cached,
        new Map([
          ['IngressRoute', 3],
          ['Middleware', 0],
        ]),
      ),
    ).toBe(true)
    expect(countsAgree(cached, new Map([['IngressRoute', 4]]))).toBe(false)
    expect(countsAgree(cached, new Map([['TraefikService', 1]]))).toBe(false)
  })
})
