/**
 * A synthetic cluster for the compile benchmark: per app a Service, an EndpointSlice with a few
 * endpoints, a Middleware, and an IngressRoute with two routes (one plain, one TLS with a
 * middleware chain); every tenth app adds a weighted TraefikService. Deterministic.
 */

import { stringify } from 'yaml'
import type { KubeObject } from '../../control-plane/compiler/snapshot/kube-types.ts'

const T = 'traefik.io/v1alpha1'

export function generateCluster(ingressRoutes: number): KubeObject[] {
  const objects: KubeObject[] = []
  for (let i = 0; i < ingressRoutes; i++) {
    const ns = `team-${i % 50}`
    const app = `app-${i}`
    objects.push(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: app, namespace: ns },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${app}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': app } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [0, 1, 2].map((e) => ({
          addresses: [`10.${(i >> 8) & 255}.${i & 255}.${e + 1}`],
          conditions: { ready: true, serving: true, terminating: false },
        })),
      } as KubeObject,
      {
        apiVersion: T,
        kind: 'Middleware',
        metadata: { name: `${app}-strip`, namespace: ns },
        spec: { stripPrefix: { prefixes: [`/${app}`] } },
      },
    )
    const services: unknown[] = [{ name: app, port: 80 }]
    if (i % 10 === 0) {
      objects.push({
        apiVersion: T,
        kind: 'TraefikService',
        metadata: { name: `${app}-canary`, namespace: ns },
        spec: {
          weighted: {
            services: [
              { name: app, port: 80, weight: 9 },
              { name: app, port: 'http', weight: 1 },
            ],
          },
        },
      })
    }
    objects.push({
      apiVersion: T,
      kind: 'IngressRoute',
      metadata: { name: app, namespace: ns },
      spec: {
        entryPoints: ['web', 'websecure'],
        routes: [
          {
            match: `Host(\`${app}.example.com\`)`,
            kind: 'Rule',
            services: i % 10 === 0 ? [{ name: `${app}-canary`, kind: 'TraefikService' }] : services,
          },
          {
            match: `Host(\`${app}.example.com\`) && PathPrefix(\`/${app}\`)`,
            kind: 'Rule',
            priority: 100,
            middlewares: [{ name: `${app}-strip` }],
            services: [{ name: app, port: 80, sticky: { cookie: { name: 'lb' } } }],
          },
        ],
        tls: { certResolver: 'le' },
      },
    })
  }
  return objects
}

export function toYAML(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o)).join('---\n')
}
