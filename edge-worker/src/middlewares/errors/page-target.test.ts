/**
 * The error page's request target: Traefik's query template (one leading `/` ensured, the
 * placeholders filled, `{url}` query-escaped as Go's url.QueryEscape, https only over TLS).
 */
import { describe, expect, it } from 'vitest'
import { pageTarget, queryEscape } from './index.ts'

const req = { host: 'shop.example:8443', path: '/a%20b/c', query: 'x=1&y=a b', tls: true }

describe('errors page target', () => {
  it('fills {status}, {originalStatus} and {url}', () => {
    expect(pageTarget('/{status}.html?from={originalStatus}&u={url}', 418, 502, req)).toEqual({
      path: '/418.html',
      query: 'from=502&u=https%3A%2F%2Fshop.example%3A8443%2Fa%2520b%2Fc%3Fx%3D1%26y%3Da+b',
    })
  })

  it('adds one leading slash, keeps a second, and sends / without a query', () => {
    expect(pageTarget('err', 500, 500, req)).toEqual({ path: '/err', query: '' })
    expect(pageTarget('//err', 500, 500, req)).toEqual({ path: '//err', query: '' })
    expect(pageTarget('', 500, 500, req)).toEqual({ path: '/', query: '' })
  })

  it('escapes as Go: unreserved kept, space as +, the rest %XX', () => {
    expect(queryEscape("a-b_c.d~e f!'()*/?#[]@&=+$,;:")).toBe('a-b_c.d~e+f%21%27%28%29%2A%2F%3F%23%5B%5D%40%26%3D%2B%24%2C%3B%3A')
  })
})
