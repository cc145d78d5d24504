// The compiler's diagnostics as Kubernetes Events on the objects at fault, so `kubectl describe`
// shows them. One Event per (object, field, message): written when the problem first appears,
// counted up (count, lastTimestamp) when it comes back after having gone away, never rewritten
// while it persists across recompiles. Traefik's CRDs have no status subresource
// (deploy/crds), so Events are the only place a problem shows on the object itself.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import type { Diagnostic } from '../compiler/index.ts'
import { formatDiagnostic } from '../compiler/index.ts'
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

  constructor(options: EventRecorderOptions) {
    this.#o = options
  }

  /** Records the diagnostics of one compile; returns how many Events were written. */
  async sync(diagnostics: readonly Diagnostic[]): Promise<number> {
    const now = new Date((this.#o.now ?? Date.now)()).toISOString().replace(/\.\d+Z$/, 'Z')
    const active = new Set<string>()
    let written = 0
    for (const d of diagnostics) {
      const obj = this.#o.find(d.kind, d.namespace, d.name)
      if (obj === undefined || obj.metadata?.uid === undefined) continue
      const key = `${obj.metadata.uid}\u0000${d.field}\u0000${d.message}`
      if (active.has(key)) continue
      active.add(key)
      if (this.#active.has(key) || written >= MAX_EVENTS_PER_SYNC) continue
      try {
        await this.#record(key, obj, d, now)
        written++
      } catch (err) {
        this.#o.log(`event on ${d.kind} ${d.namespace}/${d.name}: ${(err as Error).message}`)
        active.delete(key)
      }
    }
    this.#active = active
    return written
  }

  async #record(key: string, obj: KubernetesObject, d: Diagnostic, now: string): Promise<void> {
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
    const message = formatDiagnostic(d).slice(`${d.kind} ${d.namespace}/${d.name}: `.length).slice(0, MAX_MESSAGE)
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

function eventsPath(namespace: string, name?: string): string {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`
}
