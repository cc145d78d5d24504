/**
 * compile() as a whole: visibility rules, robustness on any input, diagnostics.
 * Traefik's own cases run in test/conformance/provider.test.ts.
 */

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compile, formatDiagnostic } from './index.ts'
import { withDefaults } from './options/options.ts'
import type { KubeObject } from './snapshot/kube-types.ts'
import { SnapshotIndex } from './snapshot/snapshot.ts'

const T = 'traefik.io/v1alpha1'

function service(ns: string, name: string, port = 80): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { ports: [{ name: 'web', port }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
      ...{ ports: [{ name: 'web', port }], endpoints: [{ addresses: ['10.0.0.1'] }] },
    } as KubeObject,
  ]
}

function route(ns: string, name: string, match: string, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: T,
    kind: 'IngressRoute',
    metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
    spec: { routes: [{ match, services: [{ name: 'whoami', port: 80 }] }] },
  }
}

const rules = (objects: KubeObject[], options = {}) => Object.values(compile({ objects }, options).config.http?.routers ?? {}).map((r) => r.rule)

describe('visibility', () => {
  const objects = [...service('a', 'whoami'), ...service('b', 'whoami'), route('a', 'r', 'Host(`a`)', { team: 'x' }), route('b', 'r', 'Host(`b`)')]

  it('sees every namespace by default', () => {
    expect(rules(objects).sort()).toEqual(['Host(`a`)', 'Host(`b`)'])
  })

  it('sees only watched namespaces', () => {
    expect(rules(objects, { namespaces: ['b'] })).toEqual(['Host(`b`)'])
  })

  it('filters Traefik objects by labelSelector, not Services', () => {
    expect(rules(objects, { labelSelector: 'team=x' })).toEqual(['Host(`a`)'])
  })

  it('refuses an invalid labelSelector as Traefik does, compiling nothing', () => {
    const { config, diagnostics } = compile({ objects }, { labelSelector: 'a in (b' })
    expect(config.http?.routers).toEqual({})
    expect(diagnostics.map(formatDiagnostic)).toEqual([expect.stringMatching(/^Provider kubernetescrd: labelSelector: invalid label selector/)])
  })

  it('hides Helm release Secrets (owner=helm) from lookups', () => {
    const index = new SnapshotIndex(
      {
        objects: [
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'h', namespace: 'a', labels: { owner: 'helm' } } },
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k', namespace: 'a', labels: { owner: 'me' } } },
        ],
      },
      withDefaults(),
    )
    expect(index.secret('a', 'h')).toBeUndefined()
    expect(index.secret('a', 'k')).toBeDefined()
  })

  it('ignores objects of other API groups and warns about Traefik v2 ones', () => {
    const legacy = { ...route('a', 'old', 'Host(`old`)'), apiVersion: 'traefik.containo.us/v1alpha1' }
    const foreign = { ...route('a', 'f', 'Host(`f`)'), apiVersion: 'example.com/v1' }
    const { config, diagnostics } = compile({ objects: [...service('a', 'whoami'), legacy, foreign] })
    expect(config.http?.routers).toEqual({})
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^IngressRoute a\/old: apiVersion: traefik\.containo\.us\/v1alpha1 is not served/),
    ])
  })

  it('lets a later duplicate replace an earlier one, with a warning', () => {
    const first = route('a', 'r', 'Host(`first`)')
    const second = route('a', 'r', 'Host(`second`)')
    const { config, diagnostics } = compile({
      objects: [...service('a', 'whoami'), first, second],
      sources: new Map([
        [first, 'one.yaml:1'],
        [second, 'two.yaml:4'],
      ]),
    })
    expect(Object.values(config.http!.routers!).map((r) => r.rule)).toEqual(['Host(`second`)'])
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'IngressRoute',
        namespace: 'a',
        name: 'r',
        severity: 'warning',
        source: 'two.yaml:4',
        message: expect.stringContaining('one.yaml:1'),
      }),
    ])
  })

  it('defaults a missing namespace to default', () => {
    const { metadata, ...rest } = route('default', 'r', 'Host(`d`)')
    const objects = [...service('default', 'whoami'), { ...rest, metadata: { name: metadata!.name } }]
    expect(Object.keys(compile({ objects }).config.http!.routers!)).toEqual([expect.stringMatching(/^default-r-[0-9a-f]{20}$/)])
  })
})

describe('diagnostics', () => {
  it('locates a bad route and keeps the good ones', () => {
    const objects = [
      ...service('default', 'whoami'),
      {
        apiVersion: T,
        kind: 'IngressRoute',
        metadata: { name: 'mixed', namespace: 'default' },
        spec: {
          routes: [
            { match: 'Host(`ok`)', services: [{ name: 'whoami', port: 80 }] },
            { match: 'Host(`bad`)', services: [{ name: 'whoami', port: 81 }] },
            { match: '', services: [{ name: 'whoami', port: 80 }] },
            { match: 'Host(`k`)', kind: 'Other' },
          ],
        },
      },
    ]
    // Without schema validation, as Traefik's provider sees objects from a fake client.
    const { config, diagnostics } = compile({ objects }, { validate: false })
    expect(Object.values(config.http!.routers!).map((r) => r.rule)).toEqual(['Host(`ok`)'])
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'IngressRoute default/mixed: spec.routes[1].services[0].port: service port not found: 81 (Service default/whoami has ports 80 (web)); route skipped',
      'IngressRoute default/mixed: spec.routes[2].match: empty match rule; route skipped',
      'IngressRoute default/mixed: spec.routes[3].kind: unsupported route kind "Other" (only Rule); route skipped',
    ])
  })

  it('leaves out objects the API server would refuse, with located reasons', () => {
    const objects = [
      ...service('default', 'whoami'),
      route('default', 'good', 'Host(`good`)'),
      {
        apiVersion: T,
        kind: 'IngressRoute',
        metadata: { name: 'bad', namespace: 'default' },
        spec: { routes: [{ match: 'Host(`bad`)', kind: 'Other', services: [{ name: 'whoami', port: 80 }] }] },
      },
    ]
    const { config, diagnostics } = compile({ objects })
    expect(Object.values(config.http!.routers!).map((r) => r.rule)).toEqual(['Host(`good`)'])
    expect(diagnostics.length).toBeGreaterThan(0)
    for (const d of diagnostics) {
      expect(formatDiagnostic(d)).toMatch(/^IngressRoute default\/bad: spec\.routes\[0\]\.kind: /)
    }
    expect(diagnostics.some((d) => d.severity === 'error' && /object skipped/.test(d.message))).toBe(true)
  })

  it('reports a TraefikService without a type', () => {
    const { diagnostics } = compile({
      objects: [{ apiVersion: T, kind: 'TraefikService', metadata: { name: 'ts', namespace: 'n' }, spec: {} }],
    })
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      'TraefikService n/ts: spec: unspecified service type (one of weighted, mirroring, highestRandomWeight or failover); TraefikService skipped',
    ])
  })
})

describe('robustness', () => {
  const kinds = [
    'IngressRoute',
    'Middleware',
    'TraefikService',
    'TLSOption',
    'TLSStore',
    'ServersTransport',
    'Service',
    'EndpointSlice',
    'Secret',
    'ConfigMap',
    'Node',
  ]
  const object = fc.record(
    {
      apiVersion: fc.constantFrom(T, 'v1', 'discovery.k8s.io/v1', 'x/y', undefined),
      kind: fc.oneof(fc.constantFrom(...kinds), fc.anything()),
      metadata: fc.oneof(
        fc.record(
          {
            name: fc.oneof(fc.constantFrom('a', 'whoami', 'b.c'), fc.anything()),
            namespace: fc.oneof(fc.constantFrom('default', 'x'), fc.anything()),
            labels: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
      ),
      spec: fc.anything(),
      ports: fc.anything(),
      endpoints: fc.anything(),
      data: fc.anything(),
    },
    { requiredKeys: ['kind'] },
  )

  it('never throws, whatever the objects', () => {
    fc.assert(
      fc.property(fc.array(object, { maxLength: 8 }), (objects) => {
        const result = compile({ objects: objects as KubeObject[] })
        expect(result.config.http).toBeDefined()
        for (const d of result.diagnostics) expect(typeof formatDiagnostic(d)).toBe('string')
      }),
      { numRuns: 300 },
    )
  })

  it('never throws on structured but wrong IngressRoutes', () => {
    const anyRoute = fc.record(
      {
        match: fc.oneof(fc.string(), fc.anything()),
        kind: fc.oneof(fc.constant('Rule'), fc.anything()),
        priority: fc.anything(),
        middlewares: fc.oneof(fc.array(fc.record({ name: fc.anything(), namespace: fc.anything() })), fc.anything()),
        services: fc.oneof(
          fc.array(
            fc.record(
              {
                name: fc.oneof(fc.constant('whoami'), fc.anything()),
                kind: fc.anything(),
                port: fc.oneof(fc.constant(80), fc.anything()),
                sticky: fc.anything(),
                healthCheck: fc.anything(),
                responseForwarding: fc.anything(),
                middlewares: fc.anything(),
                weight: fc.anything(),
              },
              { requiredKeys: [] },
            ),
          ),
          fc.anything(),
        ),
        observability: fc.anything(),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.array(anyRoute, { maxLength: 4 }), fc.anything(), (routes, tls) => {
        const ir = {
          apiVersion: T,
          kind: 'IngressRoute',
          metadata: { name: 'r', namespace: 'default' },
          spec: { routes, tls, entryPoints: ['web'] },
        }
        compile({ objects: [...service('default', 'whoami'), ir as KubeObject] })
      }),
      { numRuns: 300 },
    )
  })
})
