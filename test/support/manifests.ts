// Manifest YAML for e2e tests: a Service with its EndpointSlice pointing at loopback upstreams,
// and a one-route IngressRoute.

/** A Service `name` (port 80, named http) whose EndpointSlice lists `addresses` on `port`. */
export function serviceYaml(o: { name: string; namespace?: string; addresses: string[]; port: number }): string {
  const ns = o.namespace ?? 'demo'
  return `apiVersion: v1
kind: Service
metadata: { name: ${o.name}, namespace: ${ns} }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${o.name}-1, namespace: ${ns}, labels: { kubernetes.io/service-name: ${o.name} } }
addressType: IPv4
ports: [{ name: http, port: ${o.port} }]
endpoints: [${o.addresses.map((a) => `{ addresses: [${a}], conditions: { ready: true } }`).join(', ')}]
`
}

/** An IngressRoute `name` with one route `match` -> Service `service` port 80. */
export function ingressRouteYaml(o: { name: string; namespace?: string; match: string; service: string; entryPoints?: string[] }): string {
  return `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: ${o.name}, namespace: ${o.namespace ?? 'demo'} }
spec:
${o.entryPoints ? `  entryPoints: [${o.entryPoints.join(', ')}]\n` : ''}  routes:
    - match: ${o.match}
      services: [{ name: ${o.service}, port: 80 }]
`
}

const b64 = (text: string) => Buffer.from(text).toString('base64')

/** A Secret holding a CA certificate (`ca.crt`), as serversTransport rootCAs name one. */
export function caSecretYaml(o: { name: string; namespace?: string; ca: string }): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${o.name}, namespace: ${o.namespace ?? 'demo'} }
data: { ca.crt: ${b64(o.ca)} }
`
}

/** A kubernetes.io/tls Secret (`tls.crt`, `tls.key`). */
export function tlsSecretYaml(o: { name: string; namespace?: string; cert: string; key: string }): string {
  return `apiVersion: v1
kind: Secret
metadata: { name: ${o.name}, namespace: ${o.namespace ?? 'demo'} }
type: kubernetes.io/tls
data: { tls.crt: ${b64(o.cert)}, tls.key: ${b64(o.key)} }
`
}

/** A ServersTransport `name` with the given spec (YAML flow mapping text, e.g. `{ serverName: a }`). */
export function serversTransportYaml(o: { name: string; namespace?: string; spec: string }): string {
  return `apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: { name: ${o.name}, namespace: ${o.namespace ?? 'demo'} }
spec: ${o.spec}
`
}
