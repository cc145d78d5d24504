/**
 * Which Service port an IngressRoute service reference selects (Traefik's `getServicePort`).
 *
 * @module
 */

import type { IntOrString } from '../crd/types.ts'
import type { Service, ServicePort } from '../snapshot/kube-types.ts'

/** True for an unset reference port: absent, 0 or "". */
export function isPortUnset(port: IntOrString | undefined | null): boolean {
  return port === undefined || port === null || port === 0 || port === ''
}

/**
 * Matches a number against `port` (not targetPort) and a string against the port name. An
 * ExternalName Service accepts any number even when it declares no such port.
 * Throws with Traefik's reason when nothing fits; `warn` gets the ExternalName mismatch note.
 */
export function selectServicePort(service: Service | undefined, port: IntOrString | undefined | null, warn?: (message: string) => void): ServicePort {
  if (service === undefined) throw new Error('service is not defined')
  if (isPortUnset(port)) throw new Error(`ingressRoute service port not defined (${portsOf(service)})`)
  let hasValidPort = false
  for (const p of service.spec?.ports ?? []) {
    if (typeof port === 'number' ? p.port === port : p.name === port) return p
    if (p.port !== undefined && p.port !== 0) hasValidPort = true
  }
  if (service.spec?.type !== 'ExternalName' || typeof port === 'string') {
    throw new Error(`service port not found: ${port} (${portsOf(service)})`)
  }
  if (hasValidPort) {
    warn?.(`port ${port} does not match any port of the ExternalName service; using it as is`)
  }
  return { port: port as number }
}

/** What to write instead: `Service default/whoami has ports 80 (http), 9000 (admin)`. */
function portsOf(service: Service): string {
  const ports = (service.spec?.ports ?? []).filter((p) => p.port !== undefined).map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port)))
  const id = `Service ${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`
  return ports.length ? `${id} has ports ${ports.join(', ')}` : `${id} declares no port`
}
