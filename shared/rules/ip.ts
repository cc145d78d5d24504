/**
 * IPv4/IPv6 addresses and CIDRs as BigInts, for ClientIP. Like Go's net.ParseIP, an IPv4-mapped
 * IPv6 address is the IPv4 address.
 *
 * @module
 */

export interface Cidr {
  v6: boolean
  base: bigint
  mask: bigint
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let n = 0n
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === '0')) return undefined
    n = (n << 8n) | BigInt(p)
  }
  return n
}

function parseV6(s: string): bigint | undefined {
  let text = s
  let tail: bigint[] = []
  const lastColon = text.lastIndexOf(':')
  if (text.includes('.')) {
    const v4 = parseV4(text.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = [v4 >> 16n, v4 & 0xffffn]
    text = text.slice(0, lastColon + 1) + '0:0'
  }
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const group = (h: string): bigint[] | undefined => {
    if (h === '') return []
    const out: bigint[] = []
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined
      out.push(BigInt(`0x${g}`))
    }
    return out
  }
  const head = group(halves[0] ?? '')
  const rest = group(halves[1] ?? '')
  if (head === undefined || rest === undefined) return undefined
  const fill = 8 - head.length - rest.length
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined
  const groups = [...head, ...Array<bigint>(halves.length === 2 ? fill : 0).fill(0n), ...rest]
  if (tail.length > 0) groups.splice(6, 2, ...tail)
  return groups.reduce((n, g) => (n << 16n) | g, 0n)
}

/** Parses an address; IPv4-mapped IPv6 folds to IPv4. */
export function parseIp(s: string): { v6: boolean; n: bigint } | undefined {
  const v4 = parseV4(s)
  if (v4 !== undefined) return { v6: false, n: v4 }
  const v6 = s.includes(':') ? parseV6(s.replace(/%.*$/, '')) : undefined
  if (v6 === undefined) return undefined
  if (v6 >> 32n === 0xffffn) return { v6: false, n: v6 & 0xffffffffn }
  return { v6: true, n: v6 }
}

/** An address or a CIDR (an address is a /32 or /128). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/')
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash))
  if (addr === undefined) return undefined
  const native = s.includes(':') && !(slash >= 0 && (parseV6(s.slice(0, slash)) ?? 0n) >> 32n === 0xffffn)
  const bits = addr.v6 ? 128 : 32
  let prefix = bits
  if (slash >= 0) {
    const p = s.slice(slash + 1)
    if (!/^\d{1,3}$/.test(p)) return undefined
    prefix = Number(p)
    // A v4-mapped CIDR counts its prefix over 128 bits.
    if (!addr.v6 && native) prefix -= 96
    if (prefix < 0 || prefix > bits) return undefined
  }
  const all = (1n << BigInt(bits)) - 1n
  const mask = all ^ ((1n << BigInt(bits - prefix)) - 1n)
  return { v6: addr.v6, base: addr.n & mask, mask }
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const a = parseIp(ip)
  return a !== undefined && a.v6 === c.v6 && (a.n & c.mask) === c.base
}
