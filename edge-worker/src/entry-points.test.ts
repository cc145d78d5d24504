import { describe, expect, it } from 'vitest'
import { entryPointOf, parseBySchemes } from './entry-points.ts'

describe('entry point of a request', () => {
  it("maps the scheme to Traefik's conventional names by default, or as ENTRYPOINT_BY_SCHEME says", () => {
    expect([entryPointOf({}, false), entryPointOf({}, true)]).toEqual(['web', 'websecure'])
    const env = { ENTRYPOINT_BY_SCHEME: 'http=public, https=public-tls' }
    expect([entryPointOf(env, false), entryPointOf(env, true)]).toEqual(['public', 'public-tls'])
    expect(entryPointOf({ ENTRYPOINT_BY_SCHEME: 'https=secure' }, false)).toBe('web')
  })

  it('serves the one entry point of a listener that names it (self-hosted sockets)', () => {
    expect(entryPointOf({ ENTRYPOINT: 'internal', ENTRYPOINT_BY_SCHEME: 'https=websecure' }, true)).toBe('internal')
  })

  it('refuses what it cannot read', () => {
    expect(() => parseBySchemes('ftp=files')).toThrow(/"ftp=files" is not http=NAME or https=NAME/)
    expect(() => parseBySchemes('https')).toThrow(/ENTRYPOINT_BY_SCHEME/)
  })
})
