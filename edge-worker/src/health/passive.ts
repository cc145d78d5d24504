/**
 * Traefik's passive health check (pkg/healthcheck PassiveServiceHealthChecker) for one
 * load-balancer service, per isolate: a response >= 500 from a server, or a proxy failure (the
 * proxy answers those with 502/504), is a failure; any other response clears the server's
 * failures. A server with `maxFailedAttempts` failures within `failureWindowMs` leaves the
 * rotation (sticky clients move too) for `downForMs`.
 *
 * No timers: in the Workers runtime a timer belongs to the request that set it, so the server's
 * return is a deadline read when the balancer asks whether it is up.
 *
 * @module
 */
import type { TablePassiveHealthCheck } from '../../../shared/table/schema.ts'
import type { BalancerChild } from '../loadbalancer/balancer.ts'
import type { Handler } from '../request.ts'

export class PassiveHealth {
  readonly #config: TablePassiveHealthCheck
  readonly #now: () => number

  constructor(config: TablePassiveHealthCheck, now: () => number = Date.now) {
    this.#config = config
    this.#now = now
  }

  /** The balancer child with its target watched and `up` false while the server is out. */
  watch(child: BalancerChild<Handler>): BalancerChild<Handler> {
    const { failureWindowMs, maxFailedAttempts, downForMs } = this.#config
    const now = this.#now
    const configuredUp = child.up
    let failures: number[] = []
    let downUntil = 0
    const inner = child.target
    return {
      name: child.name,
      weight: child.weight,
      ...(child.fenced === undefined ? {} : { fenced: child.fenced }),
      get up() {
        return configuredUp && now() >= downUntil
      },
      async target(req) {
        const res = await inner(req)
        if (res.status < 500) {
          if (failures.length) failures = []
          return res
        }
        const t = now()
        failures.push(t)
        // Sliding window: only failures newer than the window count.
        failures = failures.filter((f) => f > t - failureWindowMs)
        if (failures.length >= maxFailedAttempts && t >= downUntil) {
          downUntil = t + downForMs
          failures = []
          console.error(`[edge] passive health check: server ${child.name} down for ${downForMs}ms after ${maxFailedAttempts} failure(s)`)
        }
        return res
      },
    }
  }
}
