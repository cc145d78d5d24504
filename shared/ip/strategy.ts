/**
 * Traefik's ipStrategy (IPStrategy.Get): which address of a request stands for its client.
 *   - depth > 0: the depth-th X-Forwarded-For entry from the right ("" when there are fewer);
 *   - else excludedIPs: the rightmost X-Forwarded-For entry not in the list ("" when none);
 *   - else the client address as the edge sees it (Traefik's RemoteAddr), masked to
 *     ipv6Subnet for IPv6 addresses when set.
 * X-Forwarded-For reaches middlewares only from trusted clients (the entry point drops it
 * otherwise), as in Traefik. Shared by ipAllowList and the sourceCriterion of rateLimit and
 * inFlightReq.
 *
 * @module
 */
import type { IPStrategy } from '../dynamic/types.ts'
import { maskIpv6 } from './address.ts'
import { Checker } from './checker.ts'

/** What a strategy reads of a request. */
export interface StrategyRequest {
  /** The client's address, without port. */
  clientIp: string
  headers: Headers
}

export type ClientIpStrategy = (req: StrategyRequest) => string

/** Throws (naming the field) on a configuration Traefik refuses. */
export function ipStrategy(config: IPStrategy | undefined): ClientIpStrategy {
  const subnet = config?.ipv6Subnet
  if (subnet !== undefined && subnet !== null && !(Number.isInteger(subnet) && subnet >= 1 && subnet <= 128)) {
    throw new Error(`ipStrategy.ipv6Subnet: ${subnet} is not between 1 and 128`)
  }
  const depth = config?.depth ?? 0
  if (depth > 0) {
    return (req) => {
      const xffs = forwardedFor(req.headers).split(',')
      if (xffs.length < depth) return ''
      const ip = xffs[xffs.length - depth]!.trim()
      return subnet ? ipv6SubnetIp(ip, subnet) : ip
    }
  }
  if (config?.excludedIPs?.length) {
    let checker: Checker
    try {
      checker = new Checker(config.excludedIPs)
    } catch (err) {
      throw new Error(`ipStrategy.excludedIPs: ${(err as Error).message}`)
    }
    return (req) => {
      const xffs = forwardedFor(req.headers).split(',')
      for (let i = xffs.length - 1; i >= 0; i--) {
        const ip = xffs[i]!.trim()
        if (ip === '') continue
        let excluded = false
        try {
          excluded = checker.contains(ip)
        } catch {
          // Not an address: Traefik takes it as the client.
        }
        if (!excluded) return ip
      }
      return ''
    }
  }
  return remoteAddrStrategy(subnet ?? undefined)
}

/** Traefik's RemoteAddrStrategy: the client address, IPv6 masked to `subnet` when given. */
export function remoteAddrStrategy(subnet?: number): ClientIpStrategy {
  if (subnet !== undefined) return (req) => ipv6SubnetIp(req.clientIp, subnet)
  return (req) => req.clientIp
}

/** Go reads the first X-Forwarded-For line only; Web Headers join repeated lines with ", ", so all count. */
function forwardedFor(headers: Headers): string {
  return headers.get('x-forwarded-for') ?? ''
}

/** An IPv6 address masked to its /subnet network's first address; anything else unchanged. */
export function ipv6SubnetIp(ip: string, subnet: number): string {
  if (subnet < 1 || subnet > 128) return ip
  return maskIpv6(ip, subnet) ?? ip
}
