import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { middlewareConfigError } from '../../../../shared/middlewares/config-error.ts'

// Traefik's replacePathRegex table runs in ../conformance.test.ts; these pin its error answers.

async function replace(config: Record<string, unknown>, path: string) {
  let upstream: EdgeRequest | null = null
  const req: EdgeRequest = {
    method: 'GET',
    host: 'h',
    path,
    query: 'q=1',
    headers: new Headers(),
    body: null,
    clientIp: '192.0.2.1',
    tls: false,
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
  const res = await chain([{ name: 'mw', type: 'replacePathRegex', config }], async (r) => ((upstream = r), new Response('up')), {
    target: 'workerd',
    env: {},
    log: () => {},
  })(req)
  return { res, upstream: upstream as EdgeRequest | null }
}

describe('replacePathRegex', () => {
  it("answers a replacement that does not unescape with 500 and Go's error text", async () => {
    const { res, upstream } = await replace({ regex: '^/a', replacement: '/%zz' }, '/a')
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('invalid URL escape "%zz"\n')
    expect(upstream).toBeNull()
  })

  it('keeps the query, and a ? the replacement brings stays in the path', async () => {
    const { upstream } = await replace({ regex: '^/a/(.*)', replacement: '/b?$1' }, '/a/x')
    expect(upstream!.path).toBe('/b%3Fx')
    expect(upstream!.query).toBe('q=1')
  })
})

describe('regexp errors name the field', () => {
  it('is reported when the table is built, with the field and the pattern', async () => {
    expect(middlewareConfigError('replacePathRegex', { regex: '^(?err)/x', replacement: '/' })).toMatch(
      /^replacePathRegex\.regex: "\^\(\?err\)\/x": invalid or unsupported Perl syntax/,
    )
    expect(middlewareConfigError('stripPrefixRegex', { regex: ['/ok', '(['] })).toMatch(/^stripPrefixRegex\.regex\[1\]: /)
    expect(middlewareConfigError('redirectRegex', { regex: '^(.*', replacement: '$1' })).toMatch(/^redirectRegex\.regex: .*missing closing \)/)
  })
})
