/**
 * Which upstreams a Cloudflare-target table reaches through the cluster's tunnel: the Worker's
 * Workers VPC Network binding (`[[vpc_networks]]`, bound as TUNNEL_BINDING), whose fetch() goes to
 * any address the Cloudflare Tunnel reaches, pod and ClusterIP addresses included. Cloudflare's own
 * fetch() refuses IP addresses (error 1003) and cannot resolve cluster names, so those go through
 * the tunnel; public hostnames keep going out through fetch(). The control plane decides per server
 * when it builds the table (control-plane/table/services.ts) and the edge follows the table, so the
 * compile-time diagnostics and the transport the edge picks always agree.
 *
 * Runtime-neutral: the control plane and the edge both read it.
 *
 * @module
 */

/** The binding name the edge calls for tunnel servers, in wrangler.toml and the local stand-in alike. */
export const TUNNEL_BINDING = 'VPC_NETWORK'

/**
 * Which servers go through the tunnel: `private` (default) IP addresses and cluster-internal names;
 * `all` every server (an account whose tunnel also resolves public names privately); `off` none
 * (no tunnel: servers addressed by IP are then refused at compile time, error 1003).
 */
export type TunnelMode = 'private' | 'all' | 'off'

export const TUNNEL_MODES: readonly TunnelMode[] = ['private', 'all', 'off']

/**
 * How the tunnel carries the Host the upstream must see. Cloudflare's documentation does not say
 * how a VPC Network binding treats a Host header set on its fetch() (for VPC Services the URL's host
 * "populates the Host header"): `header` (default) sends it as a header and assumes the binding
 * keeps it, as a service binding does; `url` assumes the binding writes the URL's host, so the edge
 * sends none and the upstream sees the server's own host (passHostHeader then reported).
 */
export type TunnelHost = 'header' | 'url'

export const TUNNEL_HOSTS: readonly TunnelHost[] = ['header', 'url']

/** Names only a resolver inside the cluster or the private network knows. */
const PRIVATE_NAME = /(^[^.]+$)|(\.svc$)|(\.svc\.)|(\.cluster\.local$)|(\.local$)|(\.internal$)|(\.home\.arpa$)/

/** Whether a server at `hostname` (as in its URL; IPv6 with brackets or without) goes through the tunnel. */
export function throughTunnel(hostname: string, mode: TunnelMode): boolean {
  if (mode === 'off') return false
  if (mode === 'all') return true
  const host = hostname.toLowerCase().replace(/\.$/, '')
  return isIpLiteral(host) || PRIVATE_NAME.test(host)
}

/** An IPv4 dotted quad or an IPv6 address (bracketed or not). */
export function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || hostname.includes(':') || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)
}
