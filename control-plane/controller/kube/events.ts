// Every problem a build finds (compile, validation and table-build diagnostics) as a Kubernetes
// Event on the object at fault, so `kubectl describe` and `kubectl events` show it, for as long as
// the problem lasts. One Event per (object, field, message):
// - written (POST) when the problem first appears;
// - counted up (count, lastTimestamp: a merge patch) when it comes back after having gone away,
//   and again every `refreshMs` while it persists: the API server deletes Events `--event-ttl`
//   (1 h by default) after their last write, so an Event that is never rewritten disappears while
//   its problem is still there;
// - written anew when the Event is gone (the patch answers 404: it expired or was deleted);
// - and when an object's last problem goes, one Normal Event says its configuration is served.
// Traefik's CRDs have no status subresource (deploy/crds), so Events are the only place a problem
// shows on the object itself.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import type { Diagnostic } from '../../compiler/index.ts'
import { formatDiagnostic } from '../../compiler/index.ts'
import { isForbidden, type ForbiddenCalls } from './forbidden.ts'
import { KubeApiError, kubeRequest, type KubeRequest } from './request.ts'

export const EVENT_COMPONENT = 'traefik-edge'
/** Events written per sync at most: a broken cluster-wide change must not flood the API server. */
const MAX_EVENTS_PER_SYNC = 100
const MAX_MESSAGE = 1024
/** Well inside the API server's default --event-ttl of 1 h. */
export const DEFAULT_EVENT_REFRESH_MS = 10 * 60_000

export const REASON_ERROR = 'InvalidConfiguration'
export const REASON_WARNING = 'ConfigurationWarning'
export const REASON_RESOLVED = 'ConfigurationValid'

export interface EventRecorderOptions {
  kc: KubeConfig
  /** The cached object a diagnostic names (uid and resourceVersion for involvedObject). */
  find: (kind: string, namespace: string, name: string) => KubernetesObject | undefined
  identity: string
  log: (line: string) => void
  now?: () => number
  /** Rewrite a persisting problem's Event this often. Default 10 min. */
  refreshMs?: number
  forbidden?: ForbiddenCalls
}

interface Recorded {
  namespace: string
  /** The Event's name. */
  name: string
  count: number
  /** When it was last written (ms). */
  writtenAt: number
}

interface Problem {
  obj: KubernetesObject
  d: Diagnostic
  message: string
}

export class EventRecorder {
  readonly #o: EventRecorderOptions
  /** Every Event written, by key; `active` the keys present (and written) in the last sync. */
  readonly #written = new Map<string, Recorded>()
  #active = new Set<string>()
  /** Objects (uid) with problems in the last sync, for the Normal Event when they have none. */
  #troubled = new Map<string, { kind: string; namespace: string; name: string }>()
  #seeded = false

  constructor(options: EventRecorderOptions) {
    this.#o = options
  }

  /** Records the diagnostics of one build (or refreshes those of the last); returns how many Events were written. */
  async sync(diagnostics: readonly Diagnostic[]): Promise<number> {
    if (!this.#seeded) await this.#seed()
    const nowMs = (this.#o.now ?? Date.now)()
    const now = new Date(nowMs).toISOString().replace(/\.\d+Z$/, 'Z')
    const refreshMs = this.#o.refreshMs ?? DEFAULT_EVENT_REFRESH_MS
    const problems = new Map<string, Problem>()
    const troubled = new Map<string, { kind: string; namespace: string; name: string }>()
    for (const d of diagnostics) {
      const obj = this.#o.find(d.kind, d.namespace, d.name)
      const uid = obj?.metadata?.uid
      if (obj === undefined || uid === undefined) continue
      troubled.set(uid, { kind: d.kind, namespace: d.namespace, name: d.name })
      const message = formatDiagnostic(d).slice(`${d.kind} ${d.namespace}/${d.name}: `.length).slice(0, MAX_MESSAGE)
      const key = eventKey(uid, d.field, message)
      if (!problems.has(key)) problems.set(key, { obj, d, message })
    }
    const active = new Set<string>()
    let written = 0
    for (const [key, p] of problems) {
      const previous = this.#written.get(key)
      const due = previous === undefined || !this.#active.has(key) || nowMs - previous.writtenAt >= refreshMs
      if (!due) {
        active.add(key)
        continue
      }
      // Over the cap: not marked active, so the next sync writes it.
      if (written >= MAX_EVENTS_PER_SYNC) continue
      try {
        await this.#record(key, p, now, nowMs)
        written++
        active.add(key)
      } catch (err) {
        if (!isForbidden(err)) this.#o.log(`event on ${p.d.kind} ${p.d.namespace}/${p.d.name}: ${(err as Error).message}`)
        // Refused: nothing more this sync (the rest would be refused too); retried next time.
        if (isForbidden(err)) break
      }
    }
    for (const [uid, ref] of this.#troubled) {
      if (troubled.has(uid) || written >= MAX_EVENTS_PER_SYNC) continue
      const obj = this.#o.find(ref.kind, ref.namespace, ref.name)
      if (obj?.metadata?.uid !== uid) continue
      try {
        await this.#post(obj, { type: 'Normal', reason: REASON_RESOLVED, message: 'no problems remain: the configuration is served as written', now })
        written++
      } catch (err) {
        // The object stays troubled: the Normal Event is written once it can be.
        troubled.set(uid, ref)
        if (!isForbidden(err)) this.#o.log(`event on ${ref.kind} ${ref.namespace}/${ref.name}: ${(err as Error).message}`)
      }
    }
    this.#troubled = troubled
    this.#active = active
    return written
  }

  /**
   * A new leader first reads the Events earlier leaders wrote, so problems that persist across a
   * takeover are neither written twice nor counted up before they are due.
   */
  async #seed(): Promise<void> {
    let next: string | undefined
    do {
      const page = await this.#call<EventList>('list', {
        path: '/api/v1/events',
        query: { fieldSelector: `source=${EVENT_COMPONENT}`, limit: 500, continue: next },
      })
      for (const e of page.items ?? []) {
        if (e.source?.component !== EVENT_COMPONENT || e.type === 'Normal' || !e.involvedObject?.uid || !e.metadata?.name) continue
        const key = eventKey(e.involvedObject.uid, e.involvedObject.fieldPath ?? '', e.message ?? '')
        const at = Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? '')
        this.#written.set(key, {
          namespace: e.metadata.namespace ?? 'default',
          name: e.metadata.name,
          count: e.count ?? 1,
          writtenAt: Number.isNaN(at) ? 0 : at,
        })
        this.#active.add(key)
      }
      next = page.metadata?.continue
    } while (next)
    this.#seeded = true
  }

  async #record(key: string, p: Problem, now: string, nowMs: number): Promise<void> {
    const previous = this.#written.get(key)
    if (previous !== undefined) {
      try {
        await this.#call('patch', {
          method: 'PATCH',
          path: eventsPath(previous.namespace, previous.name),
          contentType: 'application/merge-patch+json',
          body: { count: previous.count + 1, lastTimestamp: now },
        })
        previous.count++
        previous.writtenAt = nowMs
        return
      } catch (err) {
        // Expired (--event-ttl) or deleted: the problem is still there, so is its Event.
        if (!(err instanceof KubeApiError && err.statusCode === 404)) throw err
        this.#written.delete(key)
      }
    }
    const { d, obj, message } = p
    const name = await this.#post(obj, { type: 'Warning', reason: d.severity === 'error' ? REASON_ERROR : REASON_WARNING, message, field: d.field, now })
    this.#written.set(key, { namespace: obj.metadata?.namespace ?? 'default', name, count: 1, writtenAt: nowMs })
  }

  async #post(obj: KubernetesObject, e: { type: 'Warning' | 'Normal'; reason: string; message: string; field?: string; now: string }): Promise<string> {
    const namespace = obj.metadata?.namespace ?? 'default'
    const name = `${obj.metadata?.name}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`
    await this.#call('create', {
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
          ...(e.field ? { fieldPath: e.field } : {}),
        },
        reason: e.reason,
        message: e.message,
        type: e.type,
        count: 1,
        firstTimestamp: e.now,
        lastTimestamp: e.now,
        source: { component: EVENT_COMPONENT },
        reportingComponent: EVENT_COMPONENT,
        reportingInstance: this.#o.identity,
      },
    })
    return name
  }

  #call<T = Record<string, unknown>>(verb: string, request: KubeRequest): Promise<T> {
    const work = kubeRequest<T>(this.#o.kc, request)
    return this.#o.forbidden ? this.#o.forbidden.track(`${verb} events`, work) : work
  }
}

interface EventList {
  metadata?: { continue?: string }
  items?: Array<{
    metadata?: { name?: string; namespace?: string }
    involvedObject?: { uid?: string; fieldPath?: string }
    message?: string
    type?: string
    count?: number
    firstTimestamp?: string
    lastTimestamp?: string
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
