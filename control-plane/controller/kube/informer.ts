// One client-node ListWatch per watch target, supervised. ListWatch relists by itself on 410 Gone
// and reconnects after a clean end of the watch (resuming from the last resourceVersion it saw,
// bookmarks included: server-watch.ts asks for them), but on any other error (a reset connection,
// a 5xx or 403 on list or watch) it reports the error and stops for good (client-node issues #364,
// #596, #958). The supervisor sees that error event, counts it, and starts the informer again
// after an exponential backoff; the cache is kept meanwhile and reconciled by the next list.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import { ListWatch } from './client-node/load.ts'
import { bump, type KubeCounters } from './counters.ts'
import { type ForbiddenCalls, isForbidden } from './forbidden.ts'
import { listAll } from './list-all.ts'
import { ServerWatch, type ServerWatchOptions } from './server-watch.ts'
import { slimObject, type SlimOptions } from './slim-object.ts'
import type { WatchTarget } from './watched-kinds.ts'

export interface SupervisedInformerOptions {
  kc: KubeConfig
  target: WatchTarget
  counters: KubeCounters
  /**
   * Called on every add, update and delete the cache sees, with the object (for a delete: as the
   * API server last sent it); without one when the cache was replaced whole (a relist).
   */
  onChange: (change?: InformerChange) => void
  /** What the cache keeps of each object (slim-object.ts). */
  slim?: SlimOptions
  log: (line: string) => void
  /** First backoff after a stop; doubles up to maxBackoffMs. Defaults 250 / 30000 ms. */
  minBackoffMs?: number
  maxBackoffMs?: number
  /**
   * Cap on ListWatch's own wait before re-opening a watch that ended cleanly. ListWatch doubles
   * it up to 30 s while no event arrives, so a quiet kind whose watches a proxy or the API server
   * keep closing would go unwatched for up to 30 s at a time. Default 2000 ms.
   */
  maxReconnectDelayMs?: number
  /** Calls refused with 403 (logged once, counted, /readyz false). */
  forbidden?: ForbiddenCalls
  /** The watch's server-side timeout and inactivity timeout (server-watch.ts; tests shorten them). */
  watch?: Pick<ServerWatchOptions, 'timeoutSeconds' | 'idleTimeoutMs'>
}

export interface InformerChange {
  verb: 'add' | 'update' | 'delete'
  object: KubernetesObject
}

export class SupervisedInformer {
  readonly target: WatchTarget
  readonly #options: SupervisedInformerOptions
  #informer: ListWatch<KubernetesObject>
  #synced = false
  #stopped = false
  #backoff: number
  #restartTimer: NodeJS.Timeout | undefined
  #lastError: string | undefined
  #syncWaiters: Array<() => void> = []
  #generation = 0

  constructor(options: SupervisedInformerOptions) {
    this.#options = options
    this.target = options.target
    this.#backoff = options.minBackoffMs ?? 250
    this.#informer = this.#newListWatch()
  }

  #newListWatch(): ListWatch<KubernetesObject> {
    const { kc, target, onChange } = this.#options
    const cap = this.#options.maxReconnectDelayMs ?? 2000
    const resource = target.kind.path().slice(target.kind.path().lastIndexOf('/') + 1)
    const listCall = `list ${resource}${target.namespace ? ` in ${target.namespace}` : ''}`
    const watchCall = `watch ${resource}${target.namespace ? ` in ${target.namespace}` : ''}`
    const forbidden = this.#options.forbidden
    const listFn = async () => {
      // Slimmed page by page: a page of full objects is garbage before the next is asked for.
      const work = listAll(kc, target, undefined, (item) => slimObject(item, this.#options.slim))
      const list = await (forbidden ? forbidden.track(listCall, work) : work)
      bump(this.#options.counters.lists, target.id)
      // ListWatch applies the list synchronously once this promise settles; a macrotask later
      // (after every pending microtask) the cache holds all of it. A list a replaced ListWatch
      // had in flight says nothing about the current one.
      setImmediate(() => {
        if (informer === this.#informer) this.#markSynced()
      })
      return list
    }
    const watch = new ServerWatch(kc, {
      ...this.#options.watch,
      onEvent: () => forbidden?.allowed(watchCall),
      onDone: (err) => {
        if (isForbidden(err)) forbidden?.denied(watchCall, err)
      },
    })
    const informer: ListWatch<KubernetesObject> = new ListWatch(
      target.kind.path(target.namespace),
      watch,
      listFn,
      false,
      target.labelSelector,
      target.fieldSelector,
      {
        delayFn: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, cap))),
      },
    )
    // add and update run right after the cache stored the object: slimming it there slims the cache.
    for (const verb of ['add', 'update'] as const)
      informer.on(verb, (obj) => {
        slimObject(obj, this.#options.slim)
        this.#generation++
        if (informer === this.#informer) onChange({ verb, object: obj })
      })
    informer.on('delete', (obj) => {
      this.#generation++
      if (informer === this.#informer) onChange({ verb: 'delete', object: obj })
    })
    informer.on('error', (err: unknown) => {
      if (informer === this.#informer) this.#onStopped(err)
    })
    return informer
  }

  /**
   * Drops the cache and lists again from scratch (ListWatch resumes from its resourceVersion on
   * restart, so a cache known to disagree with the server needs a new one). Not synced until the
   * list completes, so nothing compiles the empty cache meanwhile.
   */
  async relist(): Promise<void> {
    const old = this.#informer
    this.#synced = false
    this.#generation++
    this.#informer = this.#newListWatch()
    await old.stop()
    // The new cache starts empty: what the old one held that is gone will never be told.
    this.#options.onChange()
    if (!this.#stopped) this.start()
  }

  /** True once a list has completed (and stays true: later restarts keep the cache). */
  get synced(): boolean {
    return this.#synced
  }

  get lastError(): string | undefined {
    return this.#lastError
  }

  start(): void {
    this.#stopped = false
    this.#informer.start().catch((err: unknown) => this.#onStopped(err))
  }

  whenSynced(): Promise<void> {
    return this.#synced ? Promise.resolve() : new Promise((resolve) => this.#syncWaiters.push(resolve))
  }

  /** Changes with every add, update, delete and relist: an unchanged generation means an unchanged list(). */
  get generation(): number {
    return this.#generation
  }

  list(): readonly KubernetesObject[] {
    return this.#informer.list()
  }

  get(name: string, namespace?: string): KubernetesObject | undefined {
    return this.#informer.get(name, namespace)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#restartTimer)
    await this.#informer.stop()
  }

  #markSynced(): void {
    this.#backoff = this.#options.minBackoffMs ?? 250
    this.#lastError = undefined
    if (this.#synced) return
    this.#synced = true
    for (const w of this.#syncWaiters.splice(0)) w()
    // After a relist: the cache is whole again.
    this.#options.onChange()
  }

  #onStopped(err: unknown): void {
    if (this.#stopped) return
    const { target, counters, log } = this.#options
    this.#lastError = (err as Error)?.message ?? String(err)
    bump(counters.informerRestarts, target.id)
    const delay = this.#backoff
    this.#backoff = Math.min(this.#backoff * 2, this.#options.maxBackoffMs ?? 30_000)
    log(`watch ${target.id}: stopped (${this.#lastError}); restarting in ${delay} ms`)
    clearTimeout(this.#restartTimer)
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopped) this.#informer.start().catch((e: unknown) => this.#onStopped(e))
    }, delay)
    this.#restartTimer.unref?.()
  }
}
