/**
 * The one place the edge learns who the client is (Traefik's RemoteAddr), whatever runs it:
 *   - CLIENT_IP_HEADER, when set: a header the operator's own front proxy writes (self-hosted
 *     behind a load balancer); its first value.
 *   - Tables built for Cloudflare: the CF-Connecting-IP header, which Cloudflare writes on every
 *     request over anything the client sent; request.cf (a large object there, built on first
 *     read) is then not read at all. Without the header (the same table on a local workerd), as
 *     below.
 *   - workerd: the socket peer, which it reports as request.cf.clientIp ("ip:port"); failing
 *     that, CF-Connecting-IP.
 *
 * @module
 */

import type { EdgeTarget } from '../../shared/table/capabilities.ts'

export interface ClientIpEnv {
  CLIENT_IP_HEADER?: string
}

/** Where request.cf is read from: the request itself, or something that reads it once and keeps it. */
export interface CfHolder {
  readonly cf?: { clientIp?: unknown } | undefined
}

export function clientIp(request: Request, env: ClientIpEnv, holder: CfHolder = request as CfHolder, target: EdgeTarget = 'workerd'): string {
  if (env.CLIENT_IP_HEADER) {
    const value = request.headers.get(env.CLIENT_IP_HEADER)
    if (value) return value.split(',')[0]!.trim()
  }
  if (target === 'cloudflare') {
    const connecting = request.headers.get('cf-connecting-ip')
    if (connecting) return connecting
  }
  const peer = holder.cf?.clientIp
  if (typeof peer === 'string' && peer !== '') return withoutPort(peer)
  return request.headers.get('cf-connecting-ip') ?? ''
}

function withoutPort(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'))
  const colon = address.lastIndexOf(':')
  return colon !== -1 && address.indexOf(':') === colon ? address.slice(0, colon) : address
}

/** Traefik's forwardedHeaders.trustedIPs: exact addresses and IPv4 CIDRs; `*` trusts everyone (insecure). */
export function trustedClient(ip: string, trusted: string | undefined): boolean {
  if (!trusted) return false
  return trusted.split(',').some((entry) => {
    const e = entry.trim()
    if (e === '*') return true
    const slash = e.indexOf('/')
    if (slash === -1) return e === ip
    const base = ipv4(e.slice(0, slash))
    const addr = ipv4(ip)
    const bits = Number(e.slice(slash + 1))
    if (base === null || addr === null || !(bits >= 0 && bits <= 32)) return false
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0
    return (base & mask) >>> 0 === (addr & mask) >>> 0
  })
}

function ipv4(text: string): number | null {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null
  return parts.reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0)
}
