/**
 * Service references beyond Traefik's test tables: defaults, overrides and every failure,
 * through compile() on in-memory objects. Schema validation is off so that values the API
 * server would refuse (an unknown strategy, say) reach the provider logic, as in Traefik's
 * tests with a fake client.
 */

import { describe, expect, it } from 'vitest'
import { compile, formatDiagnostic } from '../index.ts'
import type { LoadBalancerSpec } from '../crd/types.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'

const T = 'traefik.io/v1alpha1'

const cluster: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'n' },
    spec: {
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'http', port: 80 },
        { name: 'https-alt', port: 8443 },
      ],
    },
  },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-b', namespace: 'n', labels: { 'kubernetes.io/service-name': 'web' } },
    ...{
      ports: [
        { name: 'http', port: 8080 },
        { name: 'https-alt', port: 9443 },
      ],
      endpoints: [
        { addresses: ['10.0.0.2'], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: ['10.0.0.3'], conditions: { serving: false } },
        { addresses: ['fd00::1'] },
      ],
    },
  } as KubeObject,
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-a', namespace: 'n', labels: { 'kubernetes.io/service-name': 'web' } },
    ...{ ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: ['10.0.0.1', '10.0.0.2'] }] },
  } as KubeObject,
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless', namespace: 'n' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'np', namespace: 'n' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] } },
]

function one(spec: LoadBalancerSpec, extra: KubeObject[] = [], options = {}) {
  const ir: KubeObject = {
    apiVersion: T,
    kind: 'IngressRoute',
    metadata: { name: 'r', namespace: 'n' },
    spec: { routes: [{ match: 'Host(`x`)', services: [spec] }] },
  }
  const { config, diagnostics } = compile({ objects: [...cluster, ...extra, ir] }, { validate: false, ...options })
  const services = config.http!.services!
  const key = Object.keys(config.http!.routers!)[0]
  return {
    lb: key === undefined ? undefined : services[key]?.loadBalancer,
    service: key === undefined ? undefined : services[key],
    problems: diagnostics.map(formatDiagnostic),
  }
}

describe('servers from EndpointSlices', () => {
  it('orders slices by name, dedupes addresses, fences terminating, drops not serving, brackets IPv6', () => {
    const { lb, problems } = one({ name: 'web', port: 80 })
    expect(problems).toEqual([])
    expect(lb!.servers).toEqual([{ url: 'http://10.0.0.1:8080' }, { url: 'http://10.0.0.2:8080' }, { url: 'http://[fd00::1]:8080' }])
  })

  it('selects the slice port by the Service port name and infers https from it', () => {
    const { lb } = one({ name: 'web', port: 'https-alt' })
    expect(lb!.servers).toEqual([{ url: 'https://10.0.0.2:9443', fenced: true }, { url: 'https://[fd00::1]:9443' }])
  })
})

describe('load balancer options', () => {
  it('writes Traefik defaults', () => {
    expect(one({ name: 'web', port: 80 }).lb).toMatchObject({
      strategy: 'wrr',
      passHostHeader: true,
      responseForwarding: { flushInterval: '100000000ns' },
    })
  })

  it('applies overrides, a bare integer flush interval being seconds', () => {
    const { lb, service, problems } = one({
      name: 'web',
      port: 80,
      strategy: 'p2c',
      passHostHeader: false,
      responseForwarding: { flushInterval: '2' },
      serversTransport: 'tr.1',
      sticky: { cookie: { name: 'c', sameSite: 'lax' } },
      passiveHealthCheck: {},
      middlewares: [{ name: 'mw' }],
    })
    expect(problems).toEqual([])
    expect(lb).toMatchObject({
      strategy: 'p2c',
      passHostHeader: false,
      responseForwarding: { flushInterval: '2000000000ns' },
      serversTransport: 'n-tr-1',
      sticky: { cookie: { name: 'c', sameSite: 'lax', path: '/' } },
      passiveHealthCheck: { failureWindow: '10000000000ns', maxFailedAttempts: 1 },
    })
    expect(service!.middlewares).toEqual(['n-mw'])
  })

  it('accepts RoundRobin with a warning and keeps wrr', () => {
    const { lb, problems } = one({ name: 'web', port: 80, strategy: 'RoundRobin' })
    expect(lb!.strategy).toBe('wrr')
    expect(problems).toEqual([expect.stringContaining('spec.routes[0].services[0].strategy: strategy RoundRobin is deprecated')])
  })

  it('emits no sticky for sticky: {} without a cookie', () => {
    expect(one({ name: 'web', port: 80, sticky: {} }).lb!.sticky).toBeUndefined()
  })

  it('uses the ClusterIP with nativeLB', () => {
    expect(one({ name: 'web', port: 80, nativeLB: true }).lb!.servers).toEqual([{ url: 'http://10.96.0.10:80' }])
    expect(one({ name: 'web', port: 80 }, [], { nativeLBByDefault: true }).lb!.servers).toEqual([{ url: 'http://10.96.0.10:80' }])
  })

  it('uses every node InternalIP with nodePortLB', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      ...{
        status: {
          addresses: [
            { type: 'InternalIP', address: '172.16.0.1' },
            { type: 'Hostname', address: 'n1' },
          ],
        },
      },
    } as KubeObject
    expect(one({ name: 'np', port: 80, nodePortLB: true }, [node]).lb!.servers).toEqual([{ url: 'http://172.16.0.1:30080' }])
  })
})

describe('failures skip the route with a located reason', () => {
  it.each<[string, LoadBalancerSpec, RegExp, object?]>([
    ['unknown strategy', { name: 'web', port: 80, strategy: 'random' }, /services\[0\]\.strategy: load balancing strategy "random" is not supported/],
    [
      'bad flush interval',
      { name: 'web', port: 80, responseForwarding: { flushInterval: 'soon' } },
      /services\[0\]\.responseForwarding\.flushInterval: unable to parse flushInterval/,
    ],
    ['bad scheme', { name: 'web', port: 80, scheme: 'ftp' }, /services\[0\]\.scheme: invalid scheme "ftp"/],
    [
      'health check on a ClusterIP service',
      { name: 'web', port: 80, healthCheck: { path: '/' } },
      /services\[0\]\.healthCheck: healthCheck allowed only for ExternalName/,
    ],
    ['headless with nativeLB', { name: 'headless', port: 80, nativeLB: true }, /services\[0\]\.nativeLB: .*headless/],
    ['NodePort without nodes', { name: 'np', port: 80, nodePortLB: true }, /services\[0\]\.nodePortLB: nodes not found/],
    ['NodePort with cluster scope disabled', { name: 'np', port: 80, nodePortLB: true }, /nodes lookup is disabled/, { disableClusterScopeResources: true }],
    ['unknown kind', { name: 'web', kind: 'Pod' }, /services\[0\]\.kind: unsupported service kind "Pod"/],
    ['port not defined', { name: 'web' }, /services\[0\]\.port: ingressRoute service port not defined/],
    ['no endpoints', { name: 'np', port: 80 }, /services\[0\]\.name: no servers found for service n\/np/],
    [
      'service middleware in another namespace',
      { name: 'web', port: 80, middlewares: [{ name: 'm', namespace: 'o' }] },
      /services\[0\]\.middlewares\[0\]\.namespace: .*allowCrossNamespace/,
    ],
    [
      'servers transport @kubernetescrd',
      { name: 'web', port: 80, serversTransport: 'o-t@kubernetescrd' },
      /services\[0\]\.serversTransport: .*allowCrossNamespace/,
    ],
  ])('%s', (_title, spec, reason, options = {}) => {
    const { lb, problems } = one(spec, [], options)
    expect(lb).toBeUndefined()
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^IngressRoute n\/r: spec\.routes\[0\]\./)
    expect(problems[0]).toMatch(reason)
    expect(problems[0]).toMatch(/; route skipped$/)
  })
})

describe('health checks (ExternalName only)', () => {
  const ext: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ext', namespace: 'n' },
    spec: { type: 'ExternalName', externalName: 'api.example.com' },
  }

  it('defaults interval, timeout, followRedirects, and unhealthyInterval to the interval', () => {
    const { lb } = one({ name: 'ext', port: 443, healthCheck: { path: '/h', interval: 15 } }, [ext], { allowExternalNameServices: true })
    expect(lb!.servers).toEqual([{ url: 'https://api.example.com:443' }])
    expect(lb!.healthCheck).toEqual({
      path: '/h',
      followRedirects: true,
      interval: '15000000000ns',
      timeout: '5000000000ns',
      unhealthyInterval: '15000000000ns',
    })
  })

  it('keeps an explicit mode and overrides', () => {
    const { lb } = one({ name: 'ext', port: 80, healthCheck: { mode: 'grpc', timeout: '1s', unhealthyInterval: '1m', followRedirects: false } }, [ext], {
      allowExternalNameServices: true,
    })
    expect(lb!.healthCheck).toMatchObject({ mode: 'grpc', timeout: '1000000000ns', unhealthyInterval: '60000000000ns', followRedirects: false })
  })
})
