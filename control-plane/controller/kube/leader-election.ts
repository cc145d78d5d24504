// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules: a candidate takes a
// Lease whose holder has not renewed it for leaseDurationSeconds, measured on this process's own
// clock from when it last saw the Lease change (so clock skew between replicas does not matter);
// the leader renews every retryPeriod and steps down when it could not renew for renewDeadline;
// every write carries the resourceVersion read, so two candidates never both win (409 Conflict);
// release on shutdown empties holderIdentity so a standby takes over at once.
import type { KubeConfig } from '@kubernetes/client-node'
import type { ForbiddenCalls } from './forbidden.ts'
import { KubeApiError, kubeRequest, type KubeRequest } from './request.ts'

export interface LeaderElectionOptions {
  kc: KubeConfig
  namespace: string
  name: string
  identity: string
  /** Defaults 15 s / 10 s / 2 s, as client-go. */
  leaseDurationMs?: number
  renewDeadlineMs?: number
  retryPeriodMs?: number
  onStartedLeading: () => void
  onStoppedLeading: () => void
  log: (line: string) => void
  now?: () => number
  /** Calls refused with 403 (logged once, counted, /readyz false). */
  forbidden?: ForbiddenCalls
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1'
  kind: 'Lease'
  metadata: { name: string; namespace: string; resourceVersion?: string }
  spec: {
    holderIdentity?: string
    leaseDurationSeconds?: number
    acquireTime?: string
    renewTime?: string
    leaseTransitions?: number
  }
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'now' | 'forbidden'>> & { now: () => number; forbidden?: ForbiddenCalls }
  #leading = false
  #stopped = false
  #timer: NodeJS.Timeout | undefined
  /** The last Lease read or written, and when (on our clock) its content last changed. */
  #observed: Lease | null = null
  #observedAt = 0
  #lastRenew = 0
  /** The attempt in flight, awaited by stop() so its release writes over the latest Lease. */
  #attempt: Promise<void> = Promise.resolve()

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      now: Date.now,
      ...options,
    }
  }

  get isLeader(): boolean {
    return this.#leading
  }

  /** Who holds the Lease as last seen ('' when free or unknown). */
  get holder(): string {
    return this.#observed?.spec.holderIdentity ?? ''
  }

  start(): void {
    this.#stopped = false
    void this.#tick()
  }

  /** Stops campaigning; a leader releases the Lease unless `release` is false (a crash in tests). */
  async stop(release = true): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#attempt.catch(() => {})
    if (this.#leading && release) {
      try {
        await this.#write({ ...this.#observed!.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: micro(this.#o.now()) })
      } catch (err) {
        this.#o.log(`lease ${this.#o.namespace}/${this.#o.name}: release failed: ${(err as Error).message}`)
      }
    }
    this.#setLeading(false)
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return
    try {
      this.#attempt = this.#tryAcquireOrRenew()
      await this.#attempt
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 403 && this.#o.forbidden) {
        // Logged once by ForbiddenCalls, not on every retry.
      } else if (!(err instanceof KubeApiError && err.statusCode === 409)) {
        this.#o.log(`lease ${this.#o.namespace}/${this.#o.name}: ${(err as Error).message}`)
      }
      if (this.#leading && this.#o.now() - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#o.log(`lease ${this.#o.namespace}/${this.#o.name}: not renewed within ${this.#o.renewDeadlineMs} ms; stepping down`)
        this.#setLeading(false)
      }
    }
    if (this.#stopped) return
    this.#timer = setTimeout(() => void this.#tick(), this.#o.retryPeriodMs)
    this.#timer.unref?.()
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const { namespace, name, identity } = this.#o
    const now = this.#o.now()
    let lease: Lease | null
    try {
      lease = await this.#call<Lease>('get', { path: leasePath(namespace, name) })
    } catch (err) {
      if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err
      lease = null
    }
    const durationSeconds = Math.max(1, Math.round(this.#o.leaseDurationMs / 1000))
    if (lease === null) {
      const created = await this.#call<Lease>('create', {
        method: 'POST',
        path: leasePath(namespace),
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: micro(now), renewTime: micro(now), leaseTransitions: 0 },
        },
      })
      this.#observe(created, now)
      this.#renewed(now)
      return
    }
    if (this.#observed === null || JSON.stringify(lease.spec) !== JSON.stringify(this.#observed.spec)) this.#observe(lease, now)
    else this.#observed = lease
    const holder = lease.spec.holderIdentity ?? ''
    const held = holder !== '' && holder !== identity
    const leaseMs = (lease.spec.leaseDurationSeconds ?? durationSeconds) * 1000
    if (held && this.#observedAt + leaseMs > now) {
      // Someone else holds a Lease that is still valid by our clock.
      if (this.#leading) this.#setLeading(false)
      return
    }
    const transitions = (lease.spec.leaseTransitions ?? 0) + (holder === identity ? 0 : 1)
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: holder === identity ? lease.spec.acquireTime : micro(now),
      renewTime: micro(now),
      leaseTransitions: transitions,
    }
    await this.#write(spec)
    this.#renewed(now)
  }

  async #write(spec: Lease['spec']): Promise<void> {
    const { namespace, name } = this.#o
    const written = await this.#call<Lease>('update', {
      method: 'PUT',
      path: leasePath(namespace, name),
      body: { ...this.#observed!, spec },
    })
    this.#observe(written, this.#o.now())
  }

  #call<T>(verb: string, request: KubeRequest): Promise<T> {
    const work = kubeRequest<T>(this.#o.kc, request)
    return this.#o.forbidden ? this.#o.forbidden.track(`${verb} leases in ${this.#o.namespace}`, work) : work
  }

  #observe(lease: Lease, at: number): void {
    this.#observed = lease
    this.#observedAt = at
  }

  #renewed(at: number): void {
    this.#lastRenew = at
    this.#setLeading(true)
  }

  #setLeading(leading: boolean): void {
    if (leading === this.#leading) return
    this.#leading = leading
    this.#o.log(`lease ${this.#o.namespace}/${this.#o.name}: ${this.#o.identity} ${leading ? 'is now the leader' : 'stopped leading'}`)
    if (leading) this.#o.onStartedLeading()
    else this.#o.onStoppedLeading()
  }
}

function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`
}

/** MicroTime as the API server formats it. */
function micro(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z')
}
