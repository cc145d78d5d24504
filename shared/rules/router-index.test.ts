// One case table run against both RouterIndex implementations, and a property: the host-first
// index answers like the linear scan over random tables and requests.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { linearScan } from './linear-scan.ts'
import { requestToMatchRequest } from './request.ts'
import { buildRouterIndex } from './router-index.ts'
import type { RouterIndex, RouterSpec } from './routers.ts'

type Build = (routers: Array<RouterSpec<string>>) => RouterIndex<string>
const implementations: Array<[string, Build]> = [
  ['linearScan', linearScan],
  ['buildRouterIndex', buildRouterIndex],
  // Matchers compiled on first test (the edge's table): same answers, including a router tried twice.
  ['buildRouterIndex lazy', (routers) => buildRouterIndex(routers, { lazy: true })],
]

const req = (url: string, init: RequestInit = {}, ip = '10.0.0.1') => requestToMatchRequest(new Request(url, init), ip)

const table: Array<RouterSpec<string>> = [
  { name: 'api', rule: 'Host(`a.com`) && PathPrefix(`/api`)', value: 'api' },
  { name: 'a', rule: 'Host(`a.com`)', value: 'a' },
  { name: 'wild', rule: 'Host(`*.b.com`)', value: 'wild' },
  { name: 're', rule: 'HostRegexp(`^c[0-9]+\\.com$`)', value: 're' },
  { name: 'any-admin', rule: 'PathPrefix(`/admin`)', priority: 1000, value: 'admin' },
  { name: 'either', rule: 'Host(`d.com`) || Host(`e.com`)', value: 'either' },
  { name: 'not-f', rule: '!Host(`f.com`) && Path(`/only`)', value: 'not-f' },
  { name: 'lan', rule: 'ClientIP(`192.168.0.0/16`) || ClientIP(`fd00::/8`)', value: 'lan' },
  { name: 'hdr', rule: 'Header(`X-Env`, `canary`) && Host(`a.com`)', priority: 500, value: 'hdr' },
]

const cases: Array<[string, ReturnType<typeof req>, string | undefined]> = [
  ['longest rule wins on equal host', req('http://a.com/api/x'), 'api'],
  ['host alone', req('http://A.COM:8080/else'), 'a'],
  ['trailing dot', req('http://a.com./else'), 'a'],
  ['wildcard one label', req('http://x.b.com/'), 'wild'],
  ['wildcard not two labels', req('http://x.y.b.com/'), undefined],
  ['regexp host', req('http://c12.com/'), 're'],
  ['explicit priority beats host', req('http://a.com/admin'), 'admin'],
  ['header priority', req('http://a.com/api', { headers: { 'x-env': 'canary' } }), 'hdr'],
  ['or of hosts', req('http://e.com/'), 'either'],
  ['negated host', req('http://g.com/only'), 'not-f'],
  ['negated host excluded', req('http://f.com/only'), undefined],
  ['client ip v4', req('http://z.com/', {}, '192.168.3.4'), 'lan'],
  ['client ip v6', req('http://z.com/', {}, 'fd12::1'), 'lan'],
  ['no match', req('http://z.com/'), undefined],
]

for (const [implName, build] of implementations) {
  describe(implName, () => {
    const index = build(table)
    for (const [name, r, want] of cases) {
      it(name, () => expect(index.match(r)).toBe(want))
    }
    it('ties broken by rank then name', () => {
      const tie = build([
        { name: 'b', rule: 'Path(`/x`)', value: 'b' },
        { name: 'a', rule: 'Path(`/x`)', value: 'a' },
        { name: 'c', rule: 'Path(`/x`)', rank: 1, value: 'c' },
      ])
      expect(tie.matchAll(req('http://h/x'))).toEqual(['c', 'a', 'b'])
    })
  })
}

const hosts = ['a.com', 'b.com', 'x.a.com', 'c.org', '']
const paths = ['/', '/api', '/api/v1', '/static/x.css', '/admin']
const leaf = fc.oneof(
  fc.constantFrom(...hosts.filter(Boolean)).map((h) => `Host(\`${h}\`)`),
  fc.constant('Host(`*.a.com`)'),
  fc.constant('HostRegexp(`^[ab]\\.com$`)'),
  fc.constantFrom(...paths).map((p) => `PathPrefix(\`${p}\`)`),
  fc.constantFrom(...paths).map((p) => `Path(\`${p}\`)`),
  fc.constantFrom('GET', 'POST').map((m) => `Method(\`${m}\`)`),
  fc.constant('Header(`X-A`, `1`)'),
)
const rule: fc.Arbitrary<string> = fc.letrec<{ r: string }>((tie) => ({
  r: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(tie('r'), tie('r')).map(([a, b]) => `(${a} && ${b})`),
    fc.tuple(tie('r'), tie('r')).map(([a, b]) => `(${a} || ${b})`),
    tie('r').map((a) => `!${a}`),
  ),
})).r
const routers = fc.array(fc.record({ rule, priority: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }) }), { maxLength: 12 })
const request = fc
  .record({
    host: fc.constantFrom(...hosts),
    path: fc.constantFrom(...paths),
    method: fc.constantFrom('GET', 'POST'),
    header: fc.boolean(),
  })
  .map((r) =>
    req(`http://${r.host === '' ? 'unknown.example' : r.host}${r.path}`, {
      method: r.method,
      headers: r.header ? { 'x-a': '1' } : {},
    }),
  )

describe('buildRouterIndex == linearScan', () => {
  it('over random tables and requests', () => {
    fc.assert(
      fc.property(routers, fc.array(request, { minLength: 1, maxLength: 8 }), (rs, reqs) => {
        const specs = rs.map((r, i) => ({ name: `r${i}`, rule: r.rule, priority: r.priority, value: `r${i}` }))
        const index = buildRouterIndex(specs)
        const lazy = buildRouterIndex(specs, { lazy: true })
        const scan = linearScan(specs)
        for (const r of reqs) {
          expect(index.match(r)).toBe(scan.match(r))
          expect(index.matchAll(r)).toEqual(scan.matchAll(r))
          expect(lazy.match(r)).toBe(scan.match(r))
          expect(lazy.matchAll(r)).toEqual(scan.matchAll(r))
        }
      }),
      { numRuns: 300 },
    )
  })
})
