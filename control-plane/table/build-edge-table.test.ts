import { describe, expect, it } from 'vitest'
import { conformanceCases } from '../../test/support/traefik-data.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { childServices, mergeTableParts, splitTableByHost } from '../../shared/table/split.ts'
import { TABLE_SCHEMA_VERSION, type EdgeTable } from '../../shared/table/schema.ts'
import { buildEdgeTable } from './build-edge-table.ts'
import { formatEdgeDiagnostic } from './diagnostics.ts'
import { stickyCookieName } from './sticky-name.ts'

const lb = (...urls: string[]) => ({ loadBalancer: { servers: urls.map((url) => ({ url })), passHostHeader: true } })

function config(http: DynamicConfig['http']): DynamicConfig {
  return { http }
}

function messages(cfg: DynamicConfig, target: 'workerd' | 'cloudflare' = 'workerd'): string[] {
  return buildEdgeTable(cfg, { target }).diagnostics.map(formatEdgeDiagnostic)
}

describe('buildEdgeTable', () => {
  it('resolves a router to its expanded middlewares and its service tree', () => {
    const { table, endpoints, diagnostics } = buildEdgeTable(
      config({
        routers: {
          r: { rule: 'Host(`a.example`) && PathPrefix(`/api`)', service: 'canary', middlewares: ['outer@kubernetescrd'], entryPoints: ['web'] },
        },
        middlewares: {
          outer: { chain: { middlewares: ['strip', 'add'] } },
          strip: { stripPrefix: { prefixes: ['/api'] } },
          add: { addPrefix: { prefix: '/v1' } },
        },
        services: {
          canary: { weighted: { services: [{ name: 'v1', weight: 3 }, { name: 'v2@kubernetescrd' }] } },
          v1: lb('http://10.0.0.1:80', 'http://10.0.0.2:80'),
          v2: { loadBalancer: { servers: [{ url: 'http://10.0.0.3:80', weight: 0 }], passHostHeader: false } },
        },
      }),
      { target: 'workerd' },
    )
    expect(diagnostics).toEqual([])
    expect(table.schema).toBe(TABLE_SCHEMA_VERSION)
    expect(table.routers.r).toMatchObject({
      entryPoints: ['web'],
      hosts: ['a.example'],
      priority: 'Host(`a.example`) && PathPrefix(`/api`)'.length,
      tls: false,
      middlewares: ['strip', 'add'],
      service: 'canary',
    })
    expect(table.middlewares).toEqual({
      strip: { type: 'stripPrefix', config: { prefixes: ['/api'] } },
      add: { type: 'addPrefix', config: { prefix: '/v1' } },
    })
    expect(table.services.canary).toEqual({
      kind: 'weighted',
      services: [
        { service: 'v1', weight: 3 },
        { service: 'v2', weight: 1 },
      ],
      healthCheck: false,
    })
    expect(table.services.v2).toMatchObject({ kind: 'loadBalancer', passHostHeader: false, flushIntervalMs: 100 })
    expect(endpoints.services.v1!.servers.map((s) => s.url)).toEqual(['http://10.0.0.1:80', 'http://10.0.0.2:80'])
    expect(endpoints.services.v2!.servers[0]).toEqual({ url: 'http://10.0.0.3:80', weight: 0, preservePath: false, fenced: false, up: true })
  })

  it('drops routers Traefik would not serve, each with a located error', () => {
    const msgs = messages(
      config({
        routers: {
          badRule: { rule: 'Host(`a`) &&', service: 's' },
          noService: { rule: 'Host(`a`)', service: 'missing' },
          otherProvider: { rule: 'Host(`a`)', service: 's', middlewares: ['auth@file'] },
          loop: { rule: 'Host(`a`)', service: 's', middlewares: ['c1'] },
        },
        middlewares: { c1: { chain: { middlewares: ['c2'] } }, c2: { chain: { middlewares: ['c1'] } } },
        services: { s: lb('http://h:80') },
      }),
    )
    expect(msgs).toHaveLength(4)
    expect(msgs[0]).toMatch(/^router badRule: rule: .*not served$/)
    expect(msgs[1]).toBe('router noService: service: service "missing" does not exist: not served')
    expect(msgs[2]).toBe('router otherProvider: middlewares: middleware "auth@file" belongs to another provider, which the edge does not have: not served')
    expect(msgs[3]).toMatch(/^router loop: middlewares: chain "c1" includes itself: not served$/)
  })

  it('keeps a router with a middleware the edge lacks, answering 501 instead of serving it unprotected', () => {
    const { table, diagnostics } = buildEdgeTable(
      config({
        routers: { r: { rule: 'Host(`a`)', service: 's', middlewares: ['auth'] } },
        middlewares: { auth: { plugin: { demo: {} } } },
        services: { s: lb('http://h:80') },
      }),
      { target: 'workerd' },
    )
    expect(table.routers.r!.error).toEqual({ status: 501, message: 'middlewares the edge cannot run: auth (plugin is not implemented by the edge)' })
    expect(diagnostics.map(formatEdgeDiagnostic)).toEqual([
      'router r: middlewares: middlewares the edge cannot run: auth (plugin is not implemented by the edge); the route answers 501 instead of serving without them',
    ])
  })

  it('refuses services that reference themselves', () => {
    const msgs = messages(config({ services: { a: { weighted: { services: [{ name: 'b' }] } }, b: { weighted: { services: [{ name: 'a' }] } } } }))
    expect(msgs).toContain('service a: references itself (directly or through other services)')
  })

  it('names the sticky cookie as Traefik does', () => {
    const { table } = buildEdgeTable(
      config({
        services: {
          s: { loadBalancer: { servers: [], passHostHeader: true, sticky: { cookie: { name: 'my cookie;', sameSite: 'LAX', httpOnly: true } } } },
          d: { loadBalancer: { servers: [], passHostHeader: true, sticky: { cookie: {} } } },
        },
      }),
      { target: 'workerd' },
    )
    expect(table.services.s).toMatchObject({ sticky: { name: 'my_cookie_', sameSite: 'Lax', httpOnly: true, secure: false, path: '/', maxAge: 0 } })
    expect((table.services.d as { sticky: { name: string } }).sticky.name).toBe(stickyCookieName(undefined, 'd'))
    // "_" + first 5 hex of sha1("_TRAEFIK_BACKEND_d@kubernetescrd")
    expect(stickyCookieName(undefined, 'd')).toMatch(/^_[0-9a-f]{5}$/)
  })

  it('says per service what Cloudflare cannot do', () => {
    const cfg = config({
      services: { s: { loadBalancer: { servers: [{ url: 'https://10.0.0.1:443' }], passHostHeader: true, serversTransport: 'st' } } },
      serversTransports: { st: { insecureSkipVerify: true, rootCAs: ['PEM'] } },
    })
    const cf = messages(cfg, 'cloudflare')
    expect(cf).toContain(
      'service s: loadBalancer.servers[0].url: Cloudflare refuses fetches to IP addresses (error 1003): use a hostname in the zone or a tunnel',
    )
    expect(cf.some((m) => m.startsWith('service s: loadBalancer.passHostHeader: Cloudflare only sends'))).toBe(true)
    expect(cf.some((m) => m.startsWith('serversTransport st: insecureSkipVerify:'))).toBe(true)
    expect(cf.some((m) => m.startsWith('serversTransport st: rootCAs: custom root CAs are not trusted'))).toBe(true)
    const wd = messages(cfg, 'workerd')
    expect(wd.some((m) => m.includes('1003'))).toBe(false)
    expect(wd.some((m) => m.startsWith('serversTransport st: insecureSkipVerify:'))).toBe(true)
  })
})

describe('buildEdgeTable over Traefik provider cases', () => {
  const cases = conformanceCases<Array<{ name: string; expected: DynamicConfig }>>('provider-cases.json')

  it('gives self-contained tables whose host split merges back to the whole', () => {
    let routers = 0
    for (const c of cases) {
      const { table, endpoints } = buildEdgeTable(c.expected, { target: 'workerd' })
      checkClosed(table, c.name)
      for (const [name, svc] of Object.entries(table.services)) {
        if (svc.kind === 'loadBalancer') expect(endpoints.services[name], `${c.name}: endpoints of ${name}`).toBeDefined()
      }
      const split = splitTableByHost(table)
      for (const part of [split.rest, ...Object.values(split.hosts)]) checkClosed(part, c.name)
      const merged = mergeTableParts([split.rest, ...Object.values(split.hosts)])
      expect(Object.keys(merged.routers).sort(), c.name).toEqual(Object.keys(table.routers).sort())
      routers += Object.keys(table.routers).length
    }
    expect(routers).toBeGreaterThan(50)
  })
})

function checkClosed(table: EdgeTable, where: string): void {
  for (const [name, r] of Object.entries(table.routers)) {
    expect(table.services[r.service], `${where}: router ${name} service`).toBeDefined()
    for (const m of r.middlewares) expect(table.middlewares[m], `${where}: router ${name} middleware ${m}`).toBeDefined()
  }
  for (const svc of Object.values(table.services)) {
    for (const child of childServices(svc)) expect(table.services[child], `${where}: child ${child}`).toBeDefined()
  }
}

describe('transportCAs', () => {
  it('lists every rootCA of the table once, for the self-hosted workerd config', async () => {
    const { transportCAs } = await import('./index.ts')
    const { table } = buildEdgeTable(
      config({
        services: {
          s: { loadBalancer: { servers: [{ url: 'https://a:443' }], passHostHeader: true, serversTransport: 't1' } },
          u: { loadBalancer: { servers: [{ url: 'https://b:443' }], passHostHeader: true, serversTransport: 't2' } },
        },
        serversTransports: { t1: { rootCAs: ['CA1', 'CA2'] }, t2: { rootCAs: ['CA2'] } },
      }),
      { target: 'workerd' },
    )
    expect(transportCAs(table)).toEqual(['CA1', 'CA2'])
  })
})
