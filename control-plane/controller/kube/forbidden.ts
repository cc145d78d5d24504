// Calls the API server refused with 403 Forbidden: the ServiceAccount lacks a permission. Each
// refused call is logged once with what to grant (not again while it stays refused, and once more
// when it works again), counted for /metrics, and keeps /readyz false until it succeeds: a
// controller that cannot read or write what it needs must not look healthy.
import { bump } from './counters.ts'

export function isForbidden(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: number } | null
  return e?.statusCode === 403 || e?.code === 403
}

export class ForbiddenCalls {
  /** Refused calls now, with the API server's message. */
  readonly #active = new Map<string, string>()
  readonly #counts: Map<string, number>
  readonly #log: (line: string) => void

  /** `counts` gets one more per refusal, by call (`list secrets`). */
  constructor(counts: Map<string, number>, log: (line: string) => void) {
    this.#counts = counts
    this.#log = log
  }

  denied(call: string, err: unknown): void {
    bump(this.#counts, call)
    const message = (err as Error)?.message ?? String(err)
    if (this.#active.has(call)) return
    this.#active.set(call, message)
    this.#log(
      `permission denied (HTTP 403) to ${call}: ${message}. The controller's ServiceAccount needs this permission ` +
        '(deploy/rbac.yaml; docs/cluster.md, "Permissions the controller needs"); /readyz reports not ready until it is granted',
    )
  }

  allowed(call: string): void {
    if (!this.#active.delete(call)) return
    this.#log(`permission to ${call} granted again`)
  }

  /** Runs a call, recording whether the API server refused it. */
  async track<T>(call: string, work: Promise<T>): Promise<T> {
    try {
      const value = await work
      this.allowed(call)
      return value
    } catch (err) {
      if (isForbidden(err)) this.denied(call, err)
      throw err
    }
  }

  get active(): string[] {
    return [...this.#active.keys()]
  }
}
