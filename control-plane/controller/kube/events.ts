// The compiler's diagnostics as Kubernetes Events on the objects at fault, so `kubectl describe`
// shows them. One Event per (object, field, message): written when the problem first appears,
// counted up (count, lastTimestamp) when it comes back after having gone away, never rewritten
// while it persists across recompiles. Traefik's CRDs have no status subresource
// (deploy/crds), so Events are the only place a problem shows on the object itself.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import type { Diagnostic } from '../../compiler/index.ts'
import { formatDiagnostic } from '../../compiler/index.ts'
import { kubeRequest } from './request.ts'

export const EVENT_COMPONENT = 'traefik-edge'
/** Events written per compile at most: a broken cluster-wide change must not flood the API server. */
const MAX_EVENTS_PER_SYNC = 100
const MAX_MESSAGE = 1024

export interface EventRecorderOptions {
  kc: KubeConfig
  /** The cached object a diagnostic names (uid and resourceVersion for involvedObject). */
  find: (kind: string, namespace: string, name: string) => KubernetesObject | undefined
  identity: string
  log: (line: string) => void
  now?: () => number
}

interface Recorded {
  namespace: string
  name: string
  count: number
  firstTimestamp: string
}

export class EventRecorder {
  readonly #o: EventRecorderOptions
  /** Every Event written, by key; `active` the keys present in the last sync. */
  readonly #written = new Map<string, Recorded>()
  #active = new Set<string>()
  #seeded = false

  constructor(options: EventRecorderOptions) {
    this.#o = options
  }

  /** Records the diagnostics of one compile; returns how many Events were written. */
  async sync(diagnostics: readonly Diagnostic[]): Promise<number> {
    if (!this.#seeded) await this.#seed()
    const now = new Date((this.#o.now ?? Date.now)()).toISOString().replace(/\.\d+Z$/, 'Z')
    const active = new Set<string>()
    let written = 0
    for (const d of diagnostics) {
      const obj = this.#o.find(d.kind, d.namespace, d.name)
      if (obj === undefined || obj.metadata?.uid === undefined) continue
      const message = formatDiagnostic(d).slice(`${d.kind} ${d.namespace}/${d.name}: `.length).slice(0, MAX_MESSAGE)
      const key = eventKey(obj.metadata.uid, d.field, message)
      if (active.has(key)) continue
      active.add(key)
      if (this.#active.has(key) || written >= MAX_EVENTS_PER_SYNC) continue
      try {
        await this.#record(key, obj, d, message, now)
        written++
      } catch (err) {
        this.#o.log(`event on ${d.kind} ${d.namespace}/${d.name}: ${(err as Error).message}`)
        active.delete(key)
      }
    }
    this.#active = active
    return written
  }

  /**
   * A new leader first reads the Events earlier leaders wrote, so problems that persist across a
   * takeover are neither written twice nor counted up.
   */
  async #seed(): Promise<void> {
    let next: string | undefined
    do {
      const page = await kubeRequest<EventList>(this.#o.kc, {
        path: '/api/v1/events',
        query: { fieldSelector: `source=${EVENT_COMPONENT}`, limit: 500, continue: next },
      })
      for (const e of page.items ?? []) {
        if (e.source?.component !== EVENT_COMPONENT || !e.involvedObject?.uid || !e.metadata?.name) continue
        const key = eventKey(e.involvedObject.uid, e.involvedObject.fieldPath ?? '', e.message ?? '')
        this.#written.set(key, {
          namespace: e.metadata.namespace ?? 'default',
          name: e.metadata.name,
          count: e.count ?? 1,
          firstTimestamp: e.firstTimestamp ?? '',
        })
        this.#active.add(key)
      }
      next = page.metadata?.continue
    } while (next)
    this.#seeded = true
  }

  async #record(key: string, obj: KubernetesObject, d: Diagnostic, message: string, now: string): Promise<void> {
    const namespace = obj.metadata?.namespace ?? 'default'
    const previous = this.#written.get(key)
    if (previous !== undefined) {
      previous.count++
      await kubeRequest(this.#o.kc, {
        method: 'PATCH',
        path: eventsPath(previous.namespace, previous.name),
        contentType: 'application/merge-patch+json',
        body: { count: previous.count, lastTimestamp: now },
      })
      return
    }
    const name = `${obj.metadata?.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`
    await kubeRequest(this.#o.kc, {
      method: 'POST',
      path: eventsPath(namespace),
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata?.name,
          namespace,
          uid: obj.metadata?.uid,
          resourceVersion: obj.metadata?.resourceVersion,
          ...(d.field ? { fieldPath: d.field } : {}),
        },
        reason: d.severity === 'error' ? 'InvalidConfiguration' : 'ConfigurationWarning',
        message,
        type: 'Warning',
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: EVENT_COMPONENT },
        reportingComponent: EVENT_COMPONENT,
        reportingInstance: this.#o.identity,
      },
    })
    this.#written.set(key, { namespace, name, count: 1, firstTimestamp: now })
  }
}

interface EventList {
  metadata?: { continue?: string }
  items?: Array<{
    metadata?: { name?: string; namespace?: string }
    involvedObject?: { uid?: string; fieldPath?: string }
    message?: string
    count?: number
    firstTimestamp?: string
    source?: { component?: string }
  }>
}

function eventKey(uid: string, field: string, message: string): string {
  return `${uid}\u0000${field}\u0000${message}`
}

function eventsPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`
}
