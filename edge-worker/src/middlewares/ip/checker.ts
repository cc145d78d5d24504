/**
 * Traefik's ip.Checker: a list of addresses and CIDR networks, and whether an address is in it.
 * IPv4 addresses (and IPv4-mapped IPv6 ones) match IPv4 networks; IPv6 ones match IPv6 networks.
 *
 * @module
 */
import { hostOfHostPort, parseAddr, parseIP, type Addr } from './address.ts'

interface Network {
  bytes: Uint8Array
  /** Prefix length over the 16-byte form. */
  bits: number
  v4: boolean
}

export class Checker {
  readonly #networks: Network[]

  /** Throws, naming the entry, when the list is empty or an entry is neither an address nor a CIDR. */
  constructor(entries: readonly string[]) {
    if (!entries || entries.length === 0) throw new Error('no trusted IPs provided')
    this.#networks = entries.map(network)
  }

  /** Whether a bare address is in the list; throws when it is not an address (Go's Contains). */
  contains(address: string): boolean {
    if (address === '') throw new Error('empty IP address')
    const addr = parseAddr(address)
    if (!addr) throw new Error(`can't parse IP from address ${address}`)
    return this.containsAddr(addr)
  }

  containsAddr(addr: Addr): boolean {
    for (const n of this.#networks) if (n.v4 === addr.v4 && inPrefix(addr.bytes, n.bytes, n.bits)) return true
    return false
  }

  /** Go's IsAuthorized: `host:port` or a bare address; false (never a throw) when it is not one. */
  isAuthorized(address: string): boolean {
    try {
      return this.contains(hostOfHostPort(address) ?? address)
    } catch {
      return false
    }
  }
}

function network(entry: string): Network {
  const single = parseIP(entry)
  if (single) return { bytes: single.bytes, bits: 128, v4: single.v4 }
  const slash = entry.indexOf('/')
  const base = slash === -1 ? null : parseIP(entry.slice(0, slash))
  const written4 = slash !== -1 && !entry.slice(0, slash).includes(':')
  const bitsText = slash === -1 ? '' : entry.slice(slash + 1)
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN
  if (!base || !(bits <= (written4 ? 32 : 128))) throw new Error(`parsing CIDR trusted IPs ${JSON.stringify(entry)}: invalid CIDR address`)
  // As Go's IPNet: a v4-mapped IPv6 network of /96 or more is an IPv4 network.
  const total = written4 ? bits + 96 : bits
  const v4 = written4 || (base.v4 && bits >= 96)
  return { bytes: base.bytes, bits: total, v4 }
}

function inPrefix(addr: Uint8Array, net: Uint8Array, bits: number): boolean {
  let i = 0
  for (; bits >= 8; bits -= 8, i++) if (addr[i] !== net[i]) return false
  if (bits === 0) return true
  const mask = (0xff << (8 - bits)) & 0xff
  return (addr[i]! & mask) === (net[i]! & mask)
}
