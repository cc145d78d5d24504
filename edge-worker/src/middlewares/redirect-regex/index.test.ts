import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { goUrlString } from '../toolkit/go-url.ts'

// Traefik's redirect tables run in ../conformance.test.ts; these pin what they leave open.

function req(path: string, query = '', method = 'GET'): EdgeRequest {
  return {
    method,
    host: 'foo.example',
    path,
    query,
    headers: new Headers(),
    body: null,
    clientIp: '192.0.2.1',
    tls: false,
    entryPoint: 'web',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
  }
}

async function through(config: Record<string, unknown>, request: EdgeRequest) {
  let reached = false
  const res = await chain([{ name: 'mw', type: 'redirectRegex', config }], async () => ((reached = true), new Response('up')), {
    target: 'workerd',
    env: {},
    log: () => {},
  })(request)
  return { res, reached }
}

describe("Go's url.Parse and URL.String for redirect targets", () => {
  it('accepts and writes back what Go does', () => {
    expect(goUrlString('https://foo.example:8443/a/b?c=d#e')).toBe('https://foo.example:8443/a/b?c=d#e')
    expect(goUrlString('HTTPS://[::1]:80/x')).toBe('https://[::1]:80/x')
    expect(goUrlString('http://foo/a b')).toBe('http://foo/a%20b')
    expect(goUrlString('/relative?x')).toBe('/relative?x')
    expect(goUrlString('mailto:someone@example.com')).toBe('mailto:someone@example.com')
  })

  it('refuses what Go refuses', () => {
    expect(goUrlString('http://192.168.0.%31/')).toBeNull()
    expect(goUrlString('http://foo:port/')).toBeNull()
    expect(goUrlString('http://foo/%zz')).toBeNull()
    expect(goUrlString('http://foo/\nbar')).toBeNull()
    expect(goUrlString(':nothing')).toBeNull()
    expect(goUrlString('a:b/c'.replace('a:', '1a:'))).toBeNull()
  })
})

describe('redirectRegex', () => {
  it('rewrites scheme://Host/RequestURI with the query, every match replaced', async () => {
    const { res } = await through({ regex: 'o', replacement: '0' }, req('/moo', 'q=foo'))
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('http://f00.example/m00?q=f00')
  })

  it('answers 502 for a target Go cannot parse and goes on when the URL is unchanged', async () => {
    expect((await through({ regex: '^(.*)$', replacement: 'http://bad host/' }, req('/'))).res.status).toBe(502)
    const same = await through({ regex: '^(http://.*)$', replacement: '$1' }, req('/x'))
    expect(same.reached).toBe(true)
  })

  it('keeps matching linear on a pattern that backtracking engines explode on', async () => {
    const { res } = await through({ regex: '^http://foo\\.example/(a*)*b$', replacement: 'http://x/' }, req(`/${'a'.repeat(3000)}`))
    expect(res.status).toBe(200)
  })
})
