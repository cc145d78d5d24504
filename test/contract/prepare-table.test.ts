import { describe, expect, it } from 'vitest'
import { buildEdgeTable } from '../../control-plane/table/build-edge-table.ts'
import type { Router } from '../../shared/dynamic/types.ts'
import { selectRouter } from '../../shared/muxer/select-router.ts'
import { prepareTable } from '../../shared/table/prepare.ts'
import { splitTableByHost } from '../../shared/table/split.ts'
import type { MatchRequest } from '../../shared/table/view.ts'

function request(host: string, path = '/', method = 'GET'): MatchRequest {
  return { host, path, method, headers: new Headers(), query: new URLSearchParams(), clientIp: '127.0.0.1' }
}

function build(routers: Record<string, Router>) {
  const services = { s: { loadBalancer: { servers: [{ url: 'http://127.0.0.2:80' }], passHostHeader: true } } }
  return buildEdgeTable({ http: { routers, services } }, { target: 'workerd' })
}

describe('prepareTable', () => {
  const { table, endpoints } = build({
    long: { rule: 'Host(`a.example`) && PathPrefix(`/api/v2`)', service: 's' },
    short: { rule: 'Host(`a.example`)', service: 's' },
    explicit: { rule: 'PathPrefix(`/`)', service: 's', priority: 1 },
    regexp: { rule: 'HostRegexp(`^b\\.`) && PathPrefix(`/x`)', service: 's', priority: 500 },
    secure: { rule: 'Host(`a.example`) && Path(`/tls`)', service: 's', tls: {} },
    admin: { rule: 'Host(`a.example`) && Path(`/admin`)', service: 's', entryPoints: ['internal'] },
  })
  const view = prepareTable([table], [endpoints])
  const pick = (req: MatchRequest, tls = false, ep = 'web') => view.entryPoint(ep).match(req, tls)?.name ?? null

  it('picks the highest priority match: rule length by default, explicit priorities as given', () => {
    expect(pick(request('a.example', '/api/v2/x'))).toBe('long')
    expect(pick(request('a.example', '/other'))).toBe('short')
    expect(pick(request('b.example', '/x/1'))).toBe('regexp')
    expect(pick(request('c.example', '/'))).toBe('explicit')
  })

  it('serves TLS routers to TLS requests only, and plain ones to plain requests only', () => {
    expect(pick(request('a.example', '/tls'), true)).toBe('secure')
    expect(pick(request('a.example', '/tls'), false)).toBe('short')
    expect(pick(request('a.example', '/other'), true)).toBeNull()
  })

  it('filters by entry point; routers without entry points serve all of them', () => {
    expect(pick(request('a.example', '/admin'))).toBe('short')
    expect(pick(request('a.example', '/admin'), false, 'internal')).toBe('admin')
  })

  it('a view grown by a host part keeps the routers it had and routes both hosts', () => {
    const two = build({
      a: { rule: 'Host(`a.example`)', service: 's' },
      b: { rule: 'Host(`b.example`)', service: 's' },
      any: { rule: 'PathPrefix(`/any`)', service: 's' },
    })
    const split = splitTableByHost(two.table)
    const small = prepareTable([split.rest, split.hosts['a.example']], [two.endpoints])
    const before = small.entryPoint('web').match(request('a.example'), false)
    const grown = prepareTable([split.rest, split.hosts['a.example'], split.hosts['b.example']], [two.endpoints], small)
    expect(grown.entryPoint('web').match(request('a.example'), false)).toBe(before)
    expect(grown.entryPoint('web').match(request('b.example'), false)?.name).toBe('b')
    expect(grown.entryPoint('web').match(request('c.example', '/any'), false)).toBe(small.entryPoint('web').match(request('c.example', '/any'), false))
    expect(small.entryPoint('web').match(request('b.example'), false)).toBeNull()
  })

  it('finds a host written with a trailing dot', () => {
    expect(pick(request('a.example.', '/other'))).toBe('short')
  })

  it('routes a host from its part plus rest exactly as from the whole table', () => {
    const split = splitTableByHost(table)
    expect(Object.keys(split.hosts)).toEqual(['a.example'])
    const partial = prepareTable([split.rest, split.hosts['a.example']], [endpoints])
    for (const path of ['/api/v2/x', '/other', '/tls', '/admin']) {
      expect(partial.entryPoint('web').match(request('a.example', path), false)?.name).toBe(pick(request('a.example', path)))
    }
    expect(prepareTable([split.rest], [endpoints]).entryPoint('web').match(request('a.example', '/other'), false)?.name).toBe('explicit')
  })

  it('links services once, with their servers from the endpoints table', () => {
    const a = view.entryPoint('web').match(request('a.example', '/other'), false)!
    const b = view.entryPoint('web').match(request('c.example', '/'), false)!
    expect(a.service).toBe(b.service)
    expect(a.service).toMatchObject({ kind: 'loadBalancer', servers: [{ url: 'http://127.0.0.2:80' }] })
  })

  it('refuses parts or endpoints of another schema', () => {
    expect(() => prepareTable([table], [{ schema: 'x', services: {} }])).toThrow(/endpoints table has schema "x"/)
    expect(() => prepareTable([{ ...table, schema: 'old' }], [endpoints])).toThrow(/table part 0 has schema "old"/)
  })
})

describe('selectRouter across tables', () => {
  it('routes the same Host by each table: what it remembers per Host (the canonical host) holds no table', () => {
    const viewOf = (rule: string) => {
      const { table, endpoints } = build({ r: { rule, service: 's' } })
      return prepareTable([table], [endpoints])
    }
    const req = (host: string) => ({ method: 'GET', host, path: '/p', query: '', headers: new Headers(), clientIp: '10.0.0.1', tls: false, entryPoint: 'web' })
    const old = viewOf('Host(`A.example`) && Path(`/p`)')
    const next = viewOf('Host(`a.example`) && PathPrefix(`/`)')
    const first = selectRouter(old, req('A.Example:8080'))
    expect('router' in first && first.router.rule).toBe('Host(`A.example`) && Path(`/p`)')
    // The same Host string, remembered above, against a new table and another Host.
    const fromNext = selectRouter(next, req('A.Example:8080'))
    expect('router' in fromNext && fromNext.router.rule).toBe('Host(`a.example`) && PathPrefix(`/`)')
    expect(selectRouter(old, req('b.example'))).toEqual({ status: 404 })
    const again = selectRouter(old, req('A.Example:8080'))
    expect('router' in again && again.router).toBe('router' in first && first.router)
  })
})
