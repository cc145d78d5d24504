// Kubernetes objects for cluster tests, as a client would POST them.
import type { Obj } from './store.ts'

/** A Service `name` (port 80, named http) and its EndpointSlice listing `addresses` on `port`. */
export function serviceObjects(o: { name: string; namespace?: string; addresses: string[]; port: number }): Obj[] {
  const namespace = o.namespace ?? 'demo'
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: o.name, namespace }, spec: { ports: [{ name: 'http', port: 80 }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${o.name}-1`, namespace, labels: { 'kubernetes.io/service-name': o.name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: o.port }],
      endpoints: o.addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
    },
  ]
}

/** An IngressRoute with one route `match` -> Service `service` port 80. */
export function ingressRoute(o: {
  name: string
  namespace?: string
  match: string
  service: string
  labels?: Record<string, string>
  middlewares?: string[]
}): Obj {
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name: o.name, namespace: o.namespace ?? 'demo', ...(o.labels ? { labels: o.labels } : {}) },
    spec: {
      routes: [
        {
          kind: 'Rule',
          match: o.match,
          services: [{ name: o.service, port: 80 }],
          ...(o.middlewares ? { middlewares: o.middlewares.map((name) => ({ name })) } : {}),
        },
      ],
    },
  }
}
