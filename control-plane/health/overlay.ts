// The checker's state written into the edge's endpoints table: a server is up unless a check said
// otherwise. Pure: the table built from the manifests is never changed in place.
import type { ServiceEndpoints } from '../../shared/table/schema.ts'
import { withHealth } from '../pipeline/incremental/health-overlay.ts'
import type { HealthState } from './checker.ts'

export function applyHealth(endpoints: Record<string, ServiceEndpoints>, state: HealthState): Record<string, ServiceEndpoints> {
  if (state.size === 0) return endpoints
  const out: Record<string, ServiceEndpoints> = {}
  for (const [service, eps] of Object.entries(endpoints)) out[service] = withHealth(eps, state.get(service))
  return out
}
