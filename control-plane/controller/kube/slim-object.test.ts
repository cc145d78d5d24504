import { describe, expect, it } from 'vitest'
import { slimObject } from './slim-object.ts'

describe('slimObject', () => {
  it('keeps what the compiler, Events and the watch read, in place, and drops the rest', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'demo',
        uid: 'u-1',
        resourceVersion: '42',
        generation: 3,
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'x', owner: 'me' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"cGxhaW4="}}', keep: 'me' },
        managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:data': {} } }],
        ownerReferences: [{ kind: 'X', name: 'y' }],
      },
      type: 'Opaque',
      data: { password: 'cGxhaW4=' },
    }
    expect(slimObject(obj as never)).toBe(obj)
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'demo', uid: 'u-1', resourceVersion: '42', labels: { owner: 'me' } },
      type: 'Opaque',
      data: { password: 'cGxhaW4=' },
    })
  })

  it("keeps an IngressRoute's class annotation, a slice's Service label and creation time, a Node's addresses", () => {
    const ir = {
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: {
        name: 'r',
        namespace: 'a',
        labels: { team: 'x' },
        annotations: { 'kubernetes.io/ingress.class': 'traefik', 'meta.helm.sh/release-name': 'r' },
      },
      spec: { routes: [] },
    }
    expect(slimObject(ir as never).metadata).toEqual({ name: 'r', namespace: 'a', annotations: { 'kubernetes.io/ingress.class': 'traefik' } })
    const labelled = { apiVersion: 'traefik.io/v1alpha1', kind: 'Middleware', metadata: { name: 'm', labels: { team: 'x' } } }
    expect(slimObject(labelled as never, { keepTraefikLabels: true }).metadata).toEqual({ name: 'm', labels: { team: 'x' } })
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 's-1', creationTimestamp: 't', labels: { 'kubernetes.io/service-name': 's', 'endpointslice.kubernetes.io/managed-by': 'x' } },
      endpoints: [],
    }
    expect(slimObject(slice as never).metadata).toEqual({ name: 's-1', creationTimestamp: 't', labels: { 'kubernetes.io/service-name': 's' } })
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], capacity: { cpu: '4' } },
    }
    expect(slimObject(node as never)).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
    })
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] }, status: { loadBalancer: {} } }
    expect(slimObject(svc as never)).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] } })
  })

  it('leaves the values it interns equal, and objects without metadata alone', () => {
    const text =
      '{"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"team-namespace"},"spec":{"ports":[{"name":"http-port","port":80}],"selector":{"app":"a"}}}'
    expect(slimObject(JSON.parse(text))).toEqual(JSON.parse(text))
    expect(slimObject({ kind: 'X' })).toEqual({ kind: 'X' })
  })
})
