// Traefik's own API tests (pkg/api handler*_test.go), transcribed as data in
// test/traefik/conformance/api-handler-cases.json: the same runtime configuration in, the same request,
// and the same status, X-Next-Page and JSON out. Each case runs what its Go harness runs on the
// input first (PopulateUsedBy, GetRoutersByEntryPoints for `web`, plain and TLS).
import { describe, expect, it } from 'vitest'
import { conformanceCases } from '../../test/support/traefik-data.ts'
import { populateUsedBy, routersByEntryPoints, type RuntimeConfiguration } from './runtime.ts'
import { traefikApi, type ApiData } from './traefik-api.ts'

interface Case {
  source: string
  path: string
  prepare: Array<'populateUsedBy' | 'routersByEntryPoints'>
  conf: RuntimeConfiguration
  static?: Omit<ApiData, 'runtime'>
  expected: { statusCode: number; nextPage?: string; jsonFile?: string; body?: unknown }
}

const data = conformanceCases<{ cases: Case[] }>('api-handler-cases.json')

describe("Traefik's API tests (test/traefik/conformance/api-handler-cases.json)", () => {
  it('has every transcribed case', () => {
    expect(data.cases.length).toBe(52)
  })

  for (const c of data.cases) {
    it(`${c.source}: GET ${c.path}`, async () => {
      const runtime = structuredClone(c.conf)
      if (c.prepare.includes('populateUsedBy')) populateUsedBy(runtime)
      if (c.prepare.includes('routersByEntryPoints')) {
        routersByEntryPoints(runtime, ['web'], false)
        routersByEntryPoints(runtime, ['web'], true)
      }
      const app = traefikApi(() => ({ runtime, ...c.static }))
      const res = await app.request(`http://traefik${c.path}`)
      expect(res.status).toBe(c.expected.statusCode)
      if (c.expected.nextPage !== undefined) expect(res.headers.get('x-next-page') ?? '').toBe(c.expected.nextPage)
      if (c.expected.body === undefined) return
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(await res.json()).toEqual(c.expected.body)
    })
  }
})

describe('errors as Traefik writes them', () => {
  const app = traefikApi(() => ({ runtime: { routers: { 'a@p': { rule: 'Path(`/`)', service: 's' } } } }))

  it('a bad page is a 400 with a JSON message, sent as text like Go http.Error', async () => {
    const res = await app.request('http://t/api/http/routers?page=0')
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('{"message":"invalid request: page: 0"}\n')
  })

  it('an unknown name is a 404 naming it; a bad escape a 400', async () => {
    expect(await (await app.request('http://t/api/http/routers/b@p')).json()).toEqual({ message: 'router not found: b@p' })
    const bad = await app.request('http://t/api/http/routers/a%zz')
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ message: 'unable to decode routerID "a%zz": invalid URL escape "%zz"' })
  })

  it('answers 503 before there is any configuration', async () => {
    expect((await traefikApi(() => null).request('http://t/api/rawdata')).status).toBe(503)
  })

  it('sorts by sortBy and direction, ties by name', async () => {
    const runtime: RuntimeConfiguration = {
      routers: {
        'b@p': { rule: 'Path(`/bb`)', priority: 1, service: 's' },
        'a@p': { rule: 'Path(`/a`)', priority: 2, service: 's' },
        'c@p': { rule: 'Path(`/c`)', priority: 1, service: 's' },
      },
    }
    const names = async (q: string) =>
      ((await (await traefikApi(() => ({ runtime })).request(`http://t/api/http/routers?${q}`)).json()) as Array<{ name: string }>).map((r) => r.name)
    expect(await names('sortBy=priority')).toEqual(['b@p', 'c@p', 'a@p'])
    expect(await names('sortBy=priority&direction=desc')).toEqual(['a@p', 'c@p', 'b@p'])
    expect(await names('sortBy=rule&direction=desc')).toEqual(['c@p', 'b@p', 'a@p'])
  })
})
