/**
 * Traefik's active health checks, run by the control plane: per service, every server starts UP,
 * healthy servers are checked every `interval` and unhealthy ones every `unhealthyInterval` (two
 * loops, as pkg/healthcheck Launch runs them; the first check comes one interval after start).
 * Each result sets the server's status; a change is reported through `onChange` with the whole
 * state, which the caller publishes into the edge's endpoints table.
 *
 * A new configuration keeps the loops (and the known status) of services whose plan did not
 * change, so an unrelated edit does not put a down server back into rotation; Traefik restarts
 * every checker on any configuration change, with every server UP.
 *
 * @module
 */
import { healthPlanOf, healthPlans, type HealthPlan } from './plan.ts'
import { probe as defaultProbe } from './probe.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'

export type { HealthState } from '../pipeline/incremental/health-overlay.ts'
import type { HealthState } from '../pipeline/incremental/health-overlay.ts'

export interface HealthCheckerOptions {
  /** Called after every status change, with the state after it. */
  onChange: (state: HealthState) => void
  /** One line per status change (`service url: down: reason`). */
  report?: (line: string) => void
  probe?: (server: string, check: HealthPlan['check'], tls: HealthPlan['tls']) => Promise<void>
}

export class HealthChecker {
  readonly #options: HealthCheckerOptions
  readonly #running = new Map<string, ServiceLoops>()

  constructor(options: HealthCheckerOptions) {
    this.#options = options
  }

  /** Runs the checks a dynamic configuration asks for (and stops those it no longer has). */
  update(config: DynamicConfig): void {
    const plans = new Map(healthPlans(config).map((p) => [p.service, p]))
    let changed = false
    for (const [service, loops] of this.#running) {
      const plan = plans.get(service)
      if (plan && JSON.stringify(plan) === JSON.stringify(loops.plan)) continue
      loops.stop()
      this.#running.delete(service)
      if (loops.anyDown()) changed = true
    }
    for (const [service, plan] of plans) {
      if (!this.#running.has(service)) this.#running.set(service, new ServiceLoops(plan, this.#options, () => this.#changed()))
    }
    if (changed) this.#changed()
  }

  /**
   * update() for some services only (the incremental pipeline names those it changed; a changed
   * serversTransport changes the services that use it, which it names too).
   */
  updateServices(config: DynamicConfig, services: Iterable<string>): void {
    let changed = false
    for (const service of services) {
      const plan = healthPlanOf(config, service)
      const loops = this.#running.get(service)
      if (loops && plan && JSON.stringify(plan) === JSON.stringify(loops.plan)) continue
      if (loops) {
        loops.stop()
        this.#running.delete(service)
        if (loops.anyDown()) changed = true
      }
      if (plan) this.#running.set(service, new ServiceLoops(plan, this.#options, () => this.#changed()))
    }
    if (changed) this.#changed()
  }

  get state(): HealthState {
    return new Map([...this.#running].map(([service, loops]) => [service, loops.status]))
  }

  stop(): void {
    for (const loops of this.#running.values()) loops.stop()
    this.#running.clear()
  }

  #changed(): void {
    this.#options.onChange(this.state)
  }
}

class ServiceLoops {
  readonly plan: HealthPlan
  readonly status = new Map<string, boolean>()
  /** The pending tick of each loop (healthy, unhealthy). */
  readonly #timers = new Map<boolean, ReturnType<typeof setTimeout>>()
  #stopped = false

  constructor(plan: HealthPlan, options: HealthCheckerOptions, changed: () => void) {
    this.plan = plan
    const probe = options.probe ?? defaultProbe
    for (const url of plan.servers) this.status.set(url, true)
    // One loop per status, each checking the servers in its set when it ticks.
    const loop = (up: boolean, every: number) => {
      const tick = async () => {
        const started = Date.now()
        const targets = [...this.status].filter(([, s]) => s === up).map(([url]) => url)
        await Promise.all(
          targets.map(async (url) => {
            let reason = ''
            try {
              await probe(url, plan.check, plan.tls)
            } catch (err) {
              reason = (err as Error).message
            }
            if (this.#stopped) return
            const now = reason === ''
            if (this.status.get(url) === now) return
            this.status.set(url, now)
            options.report?.(`health check: service ${plan.service} server ${url}: ${now ? 'up' : `down: ${reason}`}`)
            changed()
          }),
        )
        // A ticker, as Traefik's: the next check is one period after this one started.
        if (!this.#stopped) this.#timers.set(up, setTimeout(tick, Math.max(0, every - (Date.now() - started))).unref())
      }
      this.#timers.set(up, setTimeout(tick, every).unref())
    }
    loop(true, plan.intervalMs)
    loop(false, plan.unhealthyIntervalMs)
  }

  anyDown(): boolean {
    return [...this.status.values()].includes(false)
  }

  stop(): void {
    this.#stopped = true
    for (const t of this.#timers.values()) clearTimeout(t)
  }
}
