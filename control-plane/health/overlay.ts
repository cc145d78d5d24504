// The checker's state written into the edge's endpoints table: a server is up unless a check said
// otherwise. Pure: the table built from the manifests is never changed in place.
import type { ServiceEndpoints } from '../../shared/table/schema.ts'
import type { HealthState } from './checker.ts'

export function applyHealth(endpoints: Record<string, ServiceEndpoints>, state: HealthState): Record<string, ServiceEndpoints> {
  if (state.size === 0) return endpoints
  const out: Record<string, ServiceEndpoints> = {}
  for (const [service, eps] of Object.entries(endpoints)) out[service] = withHealth(eps, state.get(service))
  return out
}

/** One service's servers with their health (the service's status by server URL, if it has one). */
export function withHealth(eps: ServiceEndpoints, status: ReadonlyMap<string, boolean> | undefined): ServiceEndpoints {
  return status ? { ...eps, servers: eps.servers.map((s) => ({ ...s, up: status.get(s.url) ?? true })) } : eps
}
