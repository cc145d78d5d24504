import { describe, expect, it } from 'vitest'
import type { StickyCookie } from '../../../shared/table/schema.ts'
import { fnv64Hex, legacyValues, readCookie, setCookieLine, stickyValue } from './sticky.ts'

const base: StickyCookie = { name: 'lb', secure: false, httpOnly: false, maxAge: 0, path: '/' }

describe('sticky cookie values', () => {
  it('is the first 16 hex characters of SHA-256 of the name', async () => {
    expect(await stickyValue('')).toBe('e3b0c44298fc1c14')
    expect(await stickyValue('abc')).toBe('ba7816bf8f01cfea')
  })

  it('accepts the raw name, FNV-64 (FNV-1) hex and double FNV as legacy values', () => {
    // Published FNV-1 64-bit test vectors.
    expect(fnv64Hex('')).toBe('cbf29ce484222325')
    expect(fnv64Hex('a')).toBe('af63bd4c8601b7be')
    expect(legacyValues('a')).toEqual(['a', 'af63bd4c8601b7be', fnv64Hex('af63bd4c8601b7be')])
  })
})

describe('Set-Cookie line (Go http.Cookie.String order)', () => {
  it('writes only the path by default', () => {
    expect(setCookieLine(base, 'v')).toBe('lb=v; Path=/')
  })

  it('writes every attribute in Go order', () => {
    const c: StickyCookie = {
      name: 'cookie',
      secure: true,
      httpOnly: true,
      sameSite: 'None',
      maxAge: 42,
      path: '/foo',
      domain: '.example.com',
    }
    expect(setCookieLine(c, 'abc')).toBe('cookie=abc; Path=/foo; Domain=example.com; Max-Age=42; HttpOnly; Secure; SameSite=None')
  })

  it('sends Max-Age=0 for a negative max age and nothing for zero', () => {
    expect(setCookieLine({ ...base, maxAge: -1 }, 'v')).toBe('lb=v; Path=/; Max-Age=0')
    expect(setCookieLine({ ...base, maxAge: 0 }, 'v')).toBe('lb=v; Path=/')
  })

  it('drops a domain Go would refuse', () => {
    expect(setCookieLine({ ...base, domain: 'bad domain' }, 'v')).toBe('lb=v; Path=/')
  })
})

describe('reading the cookie', () => {
  it('takes the first cookie with that name, unquoted', () => {
    expect(readCookie('a=1; lb="x"; lb=y', 'lb')).toBe('x')
    expect(readCookie('a=1', 'lb')).toBeNull()
    expect(readCookie(null, 'lb')).toBeNull()
  })
})
