/**
 * Traefik's ip.Checker: a list of addresses and CIDR networks, and whether an address is in it.
 * Parsing is the rule language's (shared/rules/ip.ts, Go's strict forms): IPv4 addresses (and
 * IPv4-mapped IPv6 ones) match IPv4 networks, IPv6 ones IPv6 networks; an IPv6 zone is ignored.
 *
 * @module
 */
import { parseCidr, parseIp, type Cidr } from '../rules/ip.ts'
import { hostOfHostPort } from './address.ts'

export class Checker {
  readonly #networks: Cidr[]

  /** Throws, naming the entry, when the list is empty or an entry is neither an address nor a CIDR. */
  constructor(entries: readonly string[]) {
    if (!entries || entries.length === 0) throw new Error('no trusted IPs provided')
    this.#networks = entries.map((entry) => {
      const cidr = typeof entry === 'string' && entry.trim() === entry ? parseCidr(entry) : undefined
      if (!cidr) throw new Error(`parsing CIDR trusted IPs ${JSON.stringify(entry)}: invalid CIDR address`)
      return cidr
    })
  }

  /** Whether a bare address is in the list; throws when it is not an address (Go's Contains). */
  contains(address: string): boolean {
    if (address === '') throw new Error('empty IP address')
    const a = parseIp(address)
    if (a === undefined) throw new Error(`can't parse IP from address ${address}`)
    // cidrContains, with the address parsed once for every network.
    return this.#networks.some((n) => a.v6 === n.v6 && (a.n & n.mask) === n.base)
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
