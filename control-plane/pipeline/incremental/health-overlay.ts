// Active health checks' state written into a service's servers (control-plane/health runs the
// checks; the pipeline, a floor below it, writes what they found into the endpoints it packs).
import type { ServiceEndpoints } from '../../../shared/table/schema.ts'

/** Service key -> server URL -> up. Servers not listed are up. */
export type HealthState = ReadonlyMap<string, ReadonlyMap<string, boolean>>

/** One service's servers with their health (the service's status by server URL, if it has one). */
export function withHealth(eps: ServiceEndpoints, status: ReadonlyMap<string, boolean> | undefined): ServiceEndpoints {
  return status ? { ...eps, servers: eps.servers.map((s) => ({ ...s, up: status.get(s.url) ?? true })) } : eps
}
