/**
 * Names of the worker bindings through which a self-hosted workerd reaches some upstreams, known
 * to both sides: the control plane writes them into the generated workerd config, the edge looks
 * them up in its env.
 *
 * A direct upstream is an external service of the config with one fixed address (a plain-HTTP
 * server whose address rarely changes: a static URL, a ClusterIP, an ExternalName). Its fetch()
 * connects there whatever the URL says, and sends the URL's host as Host, so the client's Host
 * (passHostHeader) travels over the runtime's own pooled connections, without the UpstreamPool
 * object's round trip. The name encodes the address injectively (letters and digits kept, every
 * other character as _XX).
 *
 * @module
 */

export function directUpstreamBinding(hostPort: string): string {
  let out = 'UPSTREAM_DIRECT_'
  for (const ch of hostPort.toLowerCase()) out += /[a-z0-9]/.test(ch) ? ch : `_${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
  return out
}
