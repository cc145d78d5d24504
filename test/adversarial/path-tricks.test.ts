/**
 * Path tricks around access controls (issue 17, item 6). With `PathPrefix(/admin)` behind
 * ipAllowList and a catch-all route, `//admin`, `/x/../admin`, `/%2e/admin`... reached the
 * catch-all and were forwarded as sent, and stripPrefix forwarded `/api/%2e%2e/x` as
 * `/%2e%2e/x`. Traefik's entry point normalizes the path (unreserved escapes decoded) and
 * sanitizes it (`http.sanitizePath`, on by default: dot segments and duplicate slashes removed)
 * before its routers; the edge does the same, and Traefik's own test cases for those stages
 * (test/traefik/conformance/entrypoint-path.json) run here through the worker on workerd.
 *
 * Raw requests on a socket: an HTTP client library would clean the paths itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Echo, TestEdge, Upstream } from '../support/index.ts'
import { startEchoEdge } from '../support/echo-edge.ts'
import { rawRequest, requestText, type RawAnswer } from '../support/raw-http.ts'
import { conformanceCases } from '../support/traefik-data.ts'

interface PathCases {
  sanitizePath: Array<{ test: string; case: string; path: string; expected: string }>
  pathOperations: {
    encodedCharacters: Record<string, boolean>
    cases: Array<{ desc: string; rawPath: string; expectedPath: string; expectedRaw: string; expectedStatus: number }>
  }
  normalizePath: Array<{ desc: string; rawPath: string; expectedRaw: string }>
  malformedPercentEncoding: Array<{ desc: string; path: string; wantErr: boolean }>
  denyFragment: Array<{ desc: string; url: string; wantStatus: number }>
}

const cases = conformanceCases<PathCases>('entrypoint-path.json')

let up: Upstream
let edge: TestEdge
let stop = async () => {}

beforeAll(async () => {
  const allow = Object.entries(cases.pathOperations.encodedCharacters)
    .filter(([, on]) => on)
    .map(([name]) => name)
    .join(',')
  ;({ up, edge, stop } = await startEchoEdge(
    {
      routers: {
        admin: { rule: 'Host(`a.example`) && PathPrefix(`/admin`)', service: 'up', middlewares: ['office'] },
        api: { rule: 'Host(`a.example`) && PathPrefix(`/api`)', service: 'up', middlewares: ['strip'] },
        all: { rule: 'Host(`a.example`)', service: 'up' },
        // Traefik's TestPathOperations: any path, what reaches the handler echoed.
        echo: { rule: 'Host(`echo.example`)', service: 'up' },
      },
      middlewares: {
        // The client (127.0.0.1) is outside: the admin router answers 403.
        office: { ipAllowList: { sourceRange: ['10.0.0.0/8'] } },
        strip: { stripPrefix: { prefixes: ['/api'] } },
      },
    },
    {
      entryPoints: [
        'web',
        // TestPathOperations' entry point: encoded slashes and percents allowed.
        { name: 'ops', vars: { ALLOW_ENCODED_CHARACTERS: allow } },
        // sanitizePath: false (normalizing stays: Traefik has no option for it).
        { name: 'raw', vars: { SANITIZE_PATH: 'false' } },
      ],
    },
  ))
})

afterAll(() => stop())

function get(path: string, host = 'a.example', entryPoint?: string): Promise<RawAnswer> {
  return rawRequest(Number(new URL(edge.url(entryPoint)).port), requestText(path, [`Host: ${host}`]))
}

/** The path and query the upstream received for `path`, or the edge's status when it answered itself. */
async function forwarded(path: string, host = 'a.example', entryPoint?: string): Promise<string | number> {
  const res = await get(path, host, entryPoint)
  if (res.status !== 200 || res.headers['x-upstream'] !== 'up') return res.status
  return (JSON.parse(res.body) as Echo).url
}

describe('the attacks that walked around ipAllowList', () => {
  const tricks = [
    '/admin',
    '//admin',
    '///admin',
    '/x/../admin',
    '/./admin',
    '/%2e/admin',
    '/.%2e/admin',
    '/x/%2e%2e/admin',
    '/%2E%2E/admin/',
    '/admin/../admin/x',
  ]
  for (const path of tricks) {
    it(`${path} is routed as /admin... and refused`, async () => {
      const before = up.requests.length
      expect(await forwarded(path)).toBe(403)
      expect(up.requests.length).toBe(before)
    })
  }

  it('stripPrefix never forwards a dot segment: /api/%2e%2e/x is /x before routing', async () => {
    expect(await forwarded('/api/%2e%2e/x')).toBe('/x')
    expect(await forwarded('/api/../admin')).toBe(403)
    expect(await forwarded('/api/a/../b')).toBe('/b')
    for (const r of up.requests) expect(r.url).not.toMatch(/\/\.\.?(\/|$)|%2e/i)
  })

  it('keeps the query as sent', async () => {
    expect(await forwarded('/x/../y?a=/../b&c=%2e')).toBe('/y?a=/../b&c=%2e')
  })
})

describe("Traefik's entry point path cases", () => {
  for (const c of cases.sanitizePath) {
    it(`${c.test}: ${c.case}`, async () => {
      expect(await forwarded(c.path, 'echo.example')).toBe(c.expected)
    })
  }
  for (const c of cases.pathOperations.cases) {
    it(`TestPathOperations: ${c.desc}`, async () => {
      const res = await get(c.rawPath, 'echo.example', 'ops')
      expect(res.status).toBe(c.expectedStatus)
      // What the upstream receives is Go's EscapedPath of the request after the stages.
      expect((JSON.parse(res.body) as Echo).url).toBe(c.expectedRaw)
    })
  }
  for (const c of cases.normalizePath) {
    it(`TestNormalizePath: ${c.desc}`, async () => {
      // The reserved escapes it keeps include %2F %25 %3F %23 %3B: allowed on the `ops` entry point only as far as its options go.
      const res = await get(c.rawPath, 'echo.example', 'ops')
      if (res.status === 200) expect((JSON.parse(res.body) as Echo).url).toBe(c.expectedRaw)
      else expect(res.status).toBe(400)
      // Without the entry point's encoded-character check in the way, the path itself: normalized.
      const open = await get(c.rawPath.replace(/%2F|%3F|%23|%3B|%25/g, ''), 'echo.example', 'ops')
      expect((JSON.parse(open.body) as Echo).url).toBe(c.expectedRaw.replace(/%2F|%3F|%23|%3B|%25/g, ''))
    })
  }
  for (const c of cases.malformedPercentEncoding) {
    it(`TestNormalizePath_malformedPercentEncoding: ${c.desc}`, async () => {
      const res = await get(c.path, 'echo.example')
      if (c.wantErr) expect(res.status).toBe(400)
      else expect((JSON.parse(res.body) as Echo).url).toBe(c.path)
    })
  }
  for (const c of cases.denyFragment) {
    // workerd drops a fragment from the request target before the worker runs, so the edge never
    // sees the `#` that Traefik refuses: it cannot answer 400, and what it forwards is the path
    // without the fragment, never an encoded `#` (docs/security.md).
    it(`Test_denyFragment: ${c.desc} (the fragment never reaches the upstream)`, async () => {
      const url = new URL(c.url)
      const target = c.url.slice(c.url.indexOf(url.host) + url.host.length)
      const res = await get(target, 'echo.example')
      expect(res.status).toBe(200)
      expect((JSON.parse(res.body) as Echo).url).toBe('/')
    })
  }
})

describe('sanitizePath: false', () => {
  it('forwards dot segments and duplicate slashes as sent, unreserved escapes still decoded', async () => {
    expect(await forwarded('/x/../y', 'echo.example', 'raw')).toBe('/x/../y')
    expect(await forwarded('//y', 'echo.example', 'raw')).toBe('//y')
    expect(await forwarded('/%2e/y%41', 'echo.example', 'raw')).toBe('/./yA')
    // So a route is matched on the path as the upstream gets it: /x/../admin is not /admin there.
    expect(await forwarded('/x/../admin', 'a.example', 'raw')).toBe('/x/../admin')
  })
})
