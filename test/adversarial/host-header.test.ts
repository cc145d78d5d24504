/**
 * Hosts that are not hosts (issue 17, item 7). workerd builds the request URL from the Host
 * header as it comes, so `Host: evil.com/x.redir` turned into the path `/x.redir/p`, matched
 * `HostRegexp(^.+\.redir$)` and came back in a redirect; `?`, `#`, `@` and `"><` were reflected
 * and forwarded. Go's net/http server answers 400 for any Host byte outside its table
 * (httpguts.ValidHostHeader) before a handler runs: so does the edge, with Go's body.
 *
 * Through the real runtime: raw requests on a socket to the worker on workerd, an echo upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Echo, Upstream } from '../support/index.ts'
import { startEchoEdge } from '../support/echo-edge.ts'
import { rawRequest, requestText } from '../support/raw-http.ts'

let up: Upstream
let port: number
let stop = async () => {}

beforeAll(async () => {
  ;({ up, port, stop } = await startEchoEdge({
    routers: {
      app: { rule: 'Host(`a.example`)', service: 'up' },
      redir: { rule: 'HostRegexp(`^.+\\.redir$`)', service: 'up', middlewares: ['toHttps'] },
      any: { rule: 'PathPrefix(`/`)', service: 'up', priority: 1 },
    },
    middlewares: { toHttps: { redirectScheme: { scheme: 'https' } } },
  }))
})

afterAll(() => stop())

const send = (target: string, hostLines: string[]) => rawRequest(port, requestText(target, hostLines))

describe('Host header values Go refuses', () => {
  const malformed = ['evil.com/x.redir', 'evil.com?x', 'evil.com#x', 'user@a.example', '"><script>', 'a.example x', 'a.example\\x', 'a.example{x}']
  for (const host of malformed) {
    it(`answers 400 to Host: ${host}, and nothing reaches the upstream`, async () => {
      const before = up.requests.length
      const res = await send('/p', [`Host: ${host}`])
      expect(res.status, res.raw).toBe(400)
      expect(res.body).toBe('400 Bad Request: malformed Host header')
      expect(res.headers.location).toBeUndefined()
      expect(res.raw).not.toContain(host)
      expect(up.requests.length).toBe(before)
    })
  }

  it('answers 400 to two Host lines (Go: too many Host headers)', async () => {
    const before = up.requests.length
    const res = await send('/p', ['Host: a.example', 'Host: b.example'])
    expect(res.status).toBe(400)
    expect(up.requests.length).toBe(before)
  })

  it('does not redirect to a Host that smuggles a path into the Location', async () => {
    const res = await send('/p', ['Host: evil.com/x.redir'])
    expect(res.status).toBe(400)
    expect(res.headers.location).toBeUndefined()
    // A real host of that router is still redirected, with its own name.
    const ok = await send('/p', ['Host: shop.redir'])
    expect(ok.status).toBe(302)
    expect(ok.headers.location).toBe('https://shop.redir/p')
  })
})

describe('Host header values Go accepts', () => {
  for (const host of [
    'a.example',
    'A.Example.',
    'a.example:8080',
    '127.0.0.1:80',
    '[::1]:80',
    'xn--bcher-kva.example',
    'a_b.example',
    "a!$&'()*+,;=~.example",
  ]) {
    it(`serves Host: ${host}`, async () => {
      const res = await send('/p', [`Host: ${host}`])
      expect(res.status, res.raw).toBe(200)
      const echo = JSON.parse(res.body) as Echo
      expect(echo.url).toBe('/p')
      expect(echo.headers.host).toBe(host)
    })
  }
})

describe('absolute-form request targets', () => {
  // Go routes `GET http://b.example/p` by its authority. workerd rebuilds the request URL from the
  // Host header before the worker runs and drops the target's authority (docs/security.md), so
  // the edge cannot see it: what it guarantees is that routing and the upstream agree.
  it('are routed by the Host header, and the upstream receives origin-form with that Host', async () => {
    const res = await send('http://other.example/p?q=1', ['Host: a.example'])
    expect(res.status).toBe(200)
    const echo = JSON.parse(res.body) as Echo
    expect(echo.url).toBe('/p?q=1')
    expect(echo.headers.host).toBe('a.example')
    expect(JSON.stringify(echo)).not.toContain('other.example')
  })
})
