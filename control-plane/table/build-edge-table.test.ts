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
    // In Traefik's words (pkg/server/router, service, middleware; pkg/muxer/http), the chain's on itself too.
    const loop =
      'could not instantiate middleware c1@kubernetescrd: recursion detected in middleware:c1@kubernetescrd->middleware:c2@kubernetescrd->middleware:c1@kubernetescrd'
    expect(msgs).toEqual([
      'router badRule: rule: error while parsing rule Host(`a`) &&: parsing rule Host(`a`) &&: rule syntax error at 12: expected a matcher or `(`, found end of rule',
      'router noService: service: the service "missing@kubernetescrd" does not exist',
      'router otherProvider: middlewares[0]: middleware "auth@file" does not exist (the edge has no "file" provider: only kubernetescrd and internal)',
      `router loop: middlewares[0]: ${loop}`,
      // The middlewares' own problems come after the routers' and services' (buildEdgeTable).
      `middleware c1: ${loop}`,
      `middleware c2: ${loop}`,
    ])
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
      'middleware auth: plugin: the edge cannot run this middleware: plugin is not implemented by the edge',
    ])
  })

  it('refuses services that reference themselves', () => {
    const msgs = messages(config({ services: { a: { weighted: { services: [{ name: 'b' }] } }, b: { weighted: { services: [{ name: 'a' }] } } } }))
    const loop =
      'could not instantiate service a@kubernetescrd: recursion detected in service:a@kubernetescrd->service:b@kubernetescrd->service:a@kubernetescrd'
    expect(msgs).toEqual([`service a: ${loop}`, `service b: weighted.services[0].name: ${loop}`])
  })

  it('names an unknown matcher as Traefik does, with the known ones and the closest', () => {
    expect(messages(config({ routers: { r: { rule: 'Host(`b.t`) && Pathh(`/x`)', service: 's' } }, services: { s: lb('http://h:80') } }))).toEqual([
      'router r: rule: error while parsing rule Host(`b.t`) && Pathh(`/x`): parsing rule Host(`b.t`) && Pathh(`/x`): unsupported function: Pathh ' +
        '(known matchers: ClientIP, Header, HeaderRegexp, Host, HostRegexp, Method, Path, PathPrefix, PathRegexp, Query, QueryRegexp; did you mean Path?)',
    ])
  })

  it("checks a router in Traefik's order: the service before the rule", () => {
    expect(messages(config({ routers: { r: { rule: 'Pathh(`/x`)', service: 'gone' } } }))).toEqual([
      'router r: service: the service "gone@kubernetescrd" does not exist',
    ])
  })

  it("serves Traefik's internal services and names the others", () => {
    const { table, diagnostics } = buildEdgeTable(
      config({ routers: { api: { rule: 'PathPrefix(`/api`)', service: 'api@internal' }, ping: { rule: 'Path(`/ping`)', service: 'ping@internal' } } }),
      { target: 'workerd' },
    )
    expect(table.services['api@internal']).toEqual({ kind: 'internal', service: 'api' })
    expect(table.routers.api!.service).toBe('api@internal')
    expect(diagnostics.map(formatEdgeDiagnostic)).toEqual([
      'router ping: service: the service "ping@internal" does not exist (the edge serves api@internal, dashboard@internal, noop@internal)',
    ])
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
    // A pod address goes through the cluster's tunnel: reachable, with the tunnel's own TLS verification said.
    expect(cf.some((m) => m.includes('1003'))).toBe(false)
    expect(cf.some((m) => m.startsWith('service s: loadBalancer.servers[0].url: HTTPS through the tunnel: cloudflared verifies'))).toBe(true)
    expect(cf.some((m) => m.startsWith('service s: loadBalancer.passHostHeader'))).toBe(false)
    expect(buildEdgeTable(cfg, { target: 'cloudflare' }).endpoints.services.s!.servers[0]!.tunnel).toBe('header')
    // With the tunnel off, the address is refused (Cloudflare's fetch() gives error 1003), and passHostHeader is reported.
    const off = buildEdgeTable(cfg, { target: 'cloudflare', tunnel: { mode: 'off', host: 'header' } }).diagnostics.map(formatEdgeDiagnostic)
    expect(off.some((m) => m.startsWith('service s: loadBalancer.servers[0].url: Cloudflare refuses fetches to IP addresses (error 1003)'))).toBe(true)
    expect(off.some((m) => m.startsWith("service s: loadBalancer.passHostHeader: Cloudflare sends the client's Host to a public upstream only"))).toBe(true)
    expect(cf.some((m) => m.startsWith('serversTransport st: insecureSkipVerify:'))).toBe(true)
    expect(cf.some((m) => m.startsWith('serversTransport st: rootCAs: custom root CAs are not trusted'))).toBe(true)
    const wd = messages(cfg, 'workerd')
    expect(wd.some((m) => m.includes('1003'))).toBe(false)
    expect(wd.some((m) => m.startsWith('serversTransport st: insecureSkipVerify:'))).toBe(true)
    // Each refusal says what to do instead.
    expect(wd).toContainEqual(
      expect.stringMatching(
        /^serversTransport st: insecureSkipVerify: .*Instead: trust the upstream's own certificate \(or the CA that signed it\) in rootCAs/,
      ),
    )
    expect(cf).toContainEqual(expect.stringMatching(/^serversTransport st: insecureSkipVerify: .*Instead: give the upstream a publicly trusted certificate/))
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

describe('serversTransports on self-hosted workerd', () => {
  it('give each transport with rootCAs or a client certificate its own channel, shared only by equal material', async () => {
    const { outboundCAs } = await import('./index.ts')
    const built = buildEdgeTable(
      config({
        services: {
          s: { loadBalancer: { servers: [{ url: 'https://a:443' }], passHostHeader: true, serversTransport: 't1' } },
          u: { loadBalancer: { servers: [{ url: 'https://b:443' }], passHostHeader: true, serversTransport: 't2' } },
          v: { loadBalancer: { servers: [{ url: 'https://c:443' }], passHostHeader: true, serversTransport: 't3' } },
          w: { loadBalancer: { servers: [{ url: 'https://d:443' }], passHostHeader: true, serversTransport: 't4' } },
        },
        serversTransports: {
          t1: { rootCAs: ['CA1', 'CA2'], serverName: 'a.internal' },
          t2: { rootCAs: ['CA2'] },
          t3: { rootCAs: ['CA2'], certificates: [{ certFile: 'CERT', keyFile: 'KEY' }] },
          t4: { rootCAs: ['CA2'], maxIdleConnsPerHost: 7 },
        },
      }),
      { target: 'workerd' },
    )
    const { table, channels, diagnostics } = built
    // Trust is per transport, not the process's.
    expect(outboundCAs(table)).toEqual([])
    expect(diagnostics.filter((d) => d.kind === 'serversTransport')).toEqual([])
    expect(table.transports.t1).toMatchObject({ serverName: 'a.internal', binding: expect.stringMatching(/^UPSTREAM_TLS_[0-9a-f]{16}$/) })
    expect(table.transports.t2!.binding).toBe(table.transports.t4!.binding)
    expect(table.transports.t4!.maxIdleConnsPerHost).toBe(7)
    expect(new Set([table.transports.t1!.binding, table.transports.t2!.binding, table.transports.t3!.binding]).size).toBe(3)
    expect(channels).toHaveLength(3)
    expect(channels.find((c) => c.binding === table.transports.t2!.binding)).toMatchObject({
      transports: ['t2', 't4'],
      trustedCertificates: ['CA2'],
      trustSystemCAs: false,
    })
    expect(channels.find((c) => c.binding === table.transports.t3!.binding)!.clientCertificate).toEqual({ certificateChain: 'CERT', privateKey: 'KEY' })
  })

  it('on Cloudflare, name the mtls_certificates binding to declare for a client certificate', () => {
    const built = buildEdgeTable(
      config({
        services: { s: { loadBalancer: { servers: [{ url: 'https://a.example' }], passHostHeader: false, serversTransport: 'default-mtls' } } },
        serversTransports: { 'default-mtls': { certificates: [{ certFile: 'CERT', keyFile: 'KEY' }] } },
      }),
      { target: 'cloudflare' },
    )
    expect(built.table.transports['default-mtls']!.binding).toBe('MTLS_DEFAULT_MTLS')
    expect(built.channels).toEqual([])
    const messages = built.diagnostics.map(formatEdgeDiagnostic)
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^serversTransport default-mtls: certificates: presented through the mtls_certificates binding MTLS_DEFAULT_MTLS: .*\[\[mtls_certificates\]\] binding = "MTLS_DEFAULT_MTLS"/,
      ),
    )
    expect(built.diagnostics.every((d) => d.severity === 'warning')).toBe(true)
    // A pod address goes through the cluster's tunnel, where no client certificate is presented: said.
    const pods = buildEdgeTable(
      config({
        services: { s: { loadBalancer: { servers: [{ url: 'https://10.0.0.1:8443' }], passHostHeader: false, serversTransport: 'default-mtls' } } },
        serversTransports: { 'default-mtls': { certificates: [{ certFile: 'CERT', keyFile: 'KEY' }] } },
      }),
      { target: 'cloudflare' },
    )
    expect(pods.diagnostics.map(formatEdgeDiagnostic)).toContainEqual(
      expect.stringMatching(
        /^service s: loadBalancer.serversTransport: the client certificate of serversTransport default-mtls is presented only to servers reached with fetch\(\)/,
      ),
    )
  })
})
