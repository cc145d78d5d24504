/**
 * The scheme of a backend URL (Traefik's `parseServiceProtocol`): an explicit `http`, `https`
 * or `h2c`, else inferred from the Service port, never from the endpoint or target port.
 *
 * @module
 */

const SCHEMES = new Set(['http', 'https', 'h2c'])

/** Throws on a scheme other than http, https and h2c. */
export function serviceScheme(scheme: string, portName: string, portNumber: number): string {
  if (SCHEMES.has(scheme)) return scheme
  if (scheme !== '') throw new Error(`invalid scheme "${scheme}" specified (http, https or h2c)`)
  return portNumber === 443 || portName.startsWith('https') ? 'https' : 'http'
}

/** Go's `net.JoinHostPort`: IPv6 hosts (anything with a colon) are bracketed. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
