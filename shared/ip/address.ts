/**
 * What ipStrategy needs of addresses besides parsing (shared/rules/ip.ts): an IPv6 address
 * masked to its subnet and written as Go's netip writes it, and the host of `host:port`.
 *
 * @module
 */
import { parseIp } from '../rules/ip.ts'

/** The first address of `ip`'s /bits network, as Go's netip.Addr.Prefix(bits).Addr().String(); null if not IPv6. */
export function maskIpv6(ip: string, bits: number): string | null {
  if (!ip.includes(':')) return null
  const a = parseIp(ip)
  if (!a) return null
  const n = a.v6 ? a.n : (0xffffn << 32n) | a.n
  const keep = bits >= 128 ? n : n & (((1n << 128n) - 1n) ^ ((1n << BigInt(128 - bits)) - 1n))
  return formatIpv6(keep)
}

/** RFC 5952, as netip writes it: the longest run of two or more zero groups (first on a tie) as `::`. */
function formatIpv6(n: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn))
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`
  }
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) [best, bestLen] = [i, j - i]
    i = j === i ? i + 1 : j
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':')
  return best === -1 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`
}

/** Go's net.SplitHostPort host part, or null when `address` has no port. */
export function hostOfHostPort(address: string): string | null {
  if (address.startsWith('[')) {
    const end = address.indexOf(']')
    if (end === -1 || address[end + 1] !== ':') return null
    return address.slice(1, end)
  }
  const colon = address.lastIndexOf(':')
  if (colon === -1 || address.indexOf(':') !== colon) return null
  return address.slice(0, colon)
}
