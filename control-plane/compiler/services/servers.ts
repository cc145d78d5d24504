/**
 * The servers of a Kubernetes Service reference (Traefik's `loadServers`), by precedence:
 * ExternalName, native ClusterIP, NodePort on every node, then EndpointSlices.
 *
 * @module
 */

import type { Server } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { LoadBalancerSpec } from '../crd/types.ts'
import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import type { EndpointSlice, Service, ServicePort } from '../snapshot/kube-types.ts'
import { joinHostPort, serviceScheme } from './scheme.ts'
import { selectServicePort } from './service-port.ts'

/** Reports a non-fatal note at a field of the object being compiled. */
export type Warn = (field: string, message: string) => void

/**
 * Servers for `spec` (a Kubernetes Service in `namespace`). `field` is the path of the spec
 * inside the object being compiled. Throws FieldError with Traefik's reason.
 */
export function loadServers(ctx: CompileContext, namespace: string, spec: LoadBalancerSpec, field: string, warn: Warn): Server[] {
  const name = spec.name ?? ''
  const service = ctx.index.service(namespace, name)
  if (service === undefined) {
    throw new FieldError(fieldPath(field, 'name'), ctx.index.missing('Service', namespace, name))
  }
  const svcPort = portOf(service, spec, field, warn)
  const type = service.spec?.type ?? ''
  if (type !== 'ExternalName' && spec.healthCheck !== undefined && spec.healthCheck !== null) {
    throw new FieldError(fieldPath(field, 'healthCheck'), `healthCheck allowed only for ExternalName service: ${namespace}/${name}`)
  }

  if (type === 'ExternalName') {
    if (!ctx.options.allowExternalNameServices) {
      throw new FieldError(fieldPath(field, 'name'), `externalName services not allowed: ${namespace}/${name} (allowExternalNameServices is false)`)
    }
    const scheme = schemeOf(spec, svcPort, field)
    const host = service.spec?.externalName ?? ''
    return [{ url: `${scheme}://${joinHostPort(host, svcPort.port ?? 0)}` }]
  }

  const nativeLB = spec.nativeLB ?? ctx.options.nativeLBByDefault
  if (nativeLB) {
    const clusterIP = service.spec?.clusterIP ?? ''
    if (clusterIP === 'None') {
      throw new FieldError(fieldPath(field, 'nativeLB'), `getting native Kubernetes Service address: no clusterIP on headless service ${namespace}/${name}`)
    }
    if (clusterIP === '') {
      throw new FieldError(fieldPath(field, 'nativeLB'), `getting native Kubernetes Service address: no clusterIP found for service ${namespace}/${name}`)
    }
    const scheme = schemeOf(spec, svcPort, field)
    return [{ url: `${scheme}://${joinHostPort(clusterIP, svcPort.port ?? 0)}` }]
  }

  if (type === 'NodePort' && spec.nodePortLB === true) {
    return nodePortServers(ctx, namespace, name, spec, svcPort, field)
  }

  return endpointServers(ctx.index.endpointSlices(namespace, name), spec, svcPort, field)
}

function portOf(service: Service, spec: LoadBalancerSpec, field: string, warn: Warn): ServicePort {
  try {
    return selectServicePort(service, spec.port, (m) => warn(fieldPath(field, 'port'), m))
  } catch (err) {
    throw new FieldError(fieldPath(field, 'port'), (err as Error).message)
  }
}

function schemeOf(spec: LoadBalancerSpec, port: ServicePort, field: string): string {
  try {
    return serviceScheme(spec.scheme ?? '', port.name ?? '', port.port ?? 0)
  } catch (err) {
    throw new FieldError(fieldPath(field, 'scheme'), (err as Error).message)
  }
}

function nodePortServers(ctx: CompileContext, namespace: string, name: string, spec: LoadBalancerSpec, svcPort: ServicePort, field: string): Server[] {
  const at = fieldPath(field, 'nodePortLB')
  if (ctx.options.disableClusterScopeResources) {
    throw new FieldError(at, 'nodes lookup is disabled (disableClusterScopeResources is true)')
  }
  const nodes = ctx.index.nodes
  if (nodes.length === 0) {
    throw new FieldError(at, `nodes not found for NodePort service ${namespace}/${name}`)
  }
  const scheme = schemeOf(spec, svcPort, field)
  const servers: Server[] = []
  for (const node of nodes) {
    for (const addr of node.status?.addresses ?? []) {
      if (addr.type === 'InternalIP' && typeof addr.address === 'string') {
        servers.push({ url: `${scheme}://${joinHostPort(addr.address, svcPort.nodePort ?? 0)}` })
      }
    }
  }
  if (servers.length === 0) {
    throw new FieldError(at, `no servers were generated for NodePort service ${namespace}/${name}`)
  }
  return servers
}

/**
 * One server per serving address of the slices, de-duplicated by address across slices (first
 * wins). `ready` is ignored; terminating endpoints are fenced.
 */
function endpointServers(slices: readonly EndpointSlice[], spec: LoadBalancerSpec, svcPort: ServicePort, field: string): Server[] {
  const wantName = svcPort.name ?? ''
  const seen = new Set<string>()
  const servers: Server[] = []
  for (const slice of slices) {
    let port = 0
    for (const p of slice.ports ?? []) {
      if (p !== null && typeof p.name === 'string' && p.name === wantName) {
        port = typeof p.port === 'number' ? p.port : 0
        break
      }
    }
    if (port === 0) continue
    const scheme = schemeOf(spec, svcPort, field)
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint?.conditions?.serving === false) continue
      const fenced = endpoint.conditions?.terminating === true
      for (const address of endpoint.addresses ?? []) {
        if (seen.has(address)) continue
        seen.add(address)
        const server: Server = { url: `${scheme}://${joinHostPort(address, port)}` }
        if (fenced) server.fenced = true
        servers.push(server)
      }
    }
  }
  return servers
}
