/** go-http-auth's parsing tests (misc_test.go TestParsePairs, digest_test.go TestDigestAuthParams). */
import { describe, expect, it } from 'vitest'
import { digestParams } from './params.ts'

describe('Digest parameters', () => {
  it('github.com/abbot/go-http-auth misc_test.go:TestParsePairs', () => {
    const header = String.raw`username="\test", realm="a \"quoted\" string", nonce="FRPnGdb8lvM1UHhi", uri="/css?family=Source+Sans+Pro:400,700,400italic,700italic|Source+Code+Pro", algorithm=MD5, response="fdcdd78e5b306ffed343d0ec3967f2e5", opaque="lEgVjogmIar2fg/t", qop=auth, nc=00000001, cnonce="e76b05db27a3b323"`
    expect(Object.fromEntries(digestParams(`Digest ${header}`)!)).toEqual({
      username: 'test',
      realm: 'a "quoted" string',
      nonce: 'FRPnGdb8lvM1UHhi',
      uri: '/css?family=Source+Sans+Pro:400,700,400italic,700italic|Source+Code+Pro',
      algorithm: 'MD5',
      response: 'fdcdd78e5b306ffed343d0ec3967f2e5',
      opaque: 'lEgVjogmIar2fg/t',
      qop: 'auth',
      nc: '00000001',
      cnonce: 'e76b05db27a3b323',
    })
  })

  it('github.com/abbot/go-http-auth digest_test.go:TestDigestAuthParams (commas inside the uri)', () => {
    const params = digestParams(
      `Digest username="test", realm="", nonce="FRPnGdb8lvM1UHhi", uri="/css?family=Source+Sans+Pro:400,700,400italic,700italic|Source+Code+Pro", algorithm=MD5, response="fdcdd78e5b306ffed343d0ec3967f2e5", opaque="lEgVjogmIar2fg/t", qop=auth, nc=00000001, cnonce="e76b05db27a3b323"`,
    )
    expect(params!.get('uri')).toBe('/css?family=Source+Sans+Pro:400,700,400italic,700italic|Source+Code+Pro')
  })

  it('is null for anything but the Digest scheme (TestAuthDigest: "Digest blabla" has no credentials)', () => {
    expect(digestParams('Basic dGVzdDp0ZXN0')).toBeNull()
    expect(digestParams('digest username="x"')).toBeNull()
    expect(Object.fromEntries(digestParams('Digest blabla')!)).toEqual({ blabla: '' })
  })
})
