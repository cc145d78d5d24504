// Every informer the controller runs, as one cache: the snapshot the compiler reads, whether every
// informer has synced (the controller never compiles a partial cache), and a fresh count of the
// objects straight from the API server, which confirms a table that shrank.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node'
import type { ProviderOptions, Snapshot } from '../../compiler/index.ts'
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import type { KubeCounters } from './counters.ts'
import type { ForbiddenCalls } from './forbidden.ts'
import { SupervisedInformer, type InformerChange, type SupervisedInformerOptions } from './informer.ts'
import { listAll } from './list-all.ts'
import { watchTargets } from './watched-kinds.ts'

export interface ClusterCacheOptions {
  kc: KubeConfig
  provider: Pick<ProviderOptions, 'namespaces' | 'labelSelector' | 'disableClusterScopeResources'>
  counters: KubeCounters
  /** An object added, changed or deleted (kind set); without one: the cache may have changed whole. */
  onChange: (change?: InformerChange) => void
  log: (line: string) => void
  minBackoffMs?: number
  maxReconnectDelayMs?: number
  forbidden?: ForbiddenCalls
  watch?: SupervisedInformerOptions['watch']
  /** Read Secrets only in these namespaces (watched-kinds.ts). */
  secretNamespaces?: readonly string[] | null
}

export class ClusterCache {
  readonly #informers: SupervisedInformer[]
  readonly #options: ClusterCacheOptions
  readonly #sorted = new Map<string, { generation: string; objects: KubeObject[] }>()

  constructor(options: ClusterCacheOptions) {
    this.#options = options
    const slim = { keepTraefikLabels: (options.provider.labelSelector ?? '') !== '' }
    this.#informers = watchTargets(options.provider, options.secretNamespaces).map(
      (target) =>
        new SupervisedInformer({
          kc: options.kc,
          target,
          counters: options.counters,
          slim,
          // Delete events of a real API server carry kind; list items are given theirs by listAll.
          onChange: (change) => {
            if (change && change.object.kind === undefined) {
              change.object.kind = target.kind.kind
              change.object.apiVersion = target.kind.apiVersion
            }
            options.onChange(change)
          },
          log: options.log,
          minBackoffMs: options.minBackoffMs,
          maxReconnectDelayMs: options.maxReconnectDelayMs,
          ...(options.forbidden ? { forbidden: options.forbidden } : {}),
          ...(options.watch ? { watch: options.watch } : {}),
        }),
    )
  }

  start(): void {
    for (const i of this.#informers) i.start()
  }

  get synced(): boolean {
    return this.#informers.every((i) => i.synced)
  }

  /** Watch ids not synced yet, with their last error. */
  pending(): string[] {
    return this.#informers.filter((i) => !i.synced).map((i) => (i.lastError ? `${i.target.id} (${i.lastError})` : i.target.id))
  }

  async whenSynced(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.whenSynced()))
  }

  snapshot(): Snapshot {
    const objects: KubeObject[] = []
    // One sorted list per kind across its informers (one per watched namespace): the order the
    // compiler sees objects in, which the incremental pipeline reproduces (namespace/name).
    const byKind = new Map<string, SupervisedInformer[]>()
    for (const informer of this.#informers) {
      const kind = informer.target.kind.kind
      byKind.set(kind, [...(byKind.get(kind) ?? []), informer])
    }
    for (const [kind, informers] of byKind) {
      // A kind whose informers saw no event since the last snapshot gives the same sorted objects.
      const generation = informers.map((i) => i.generation).join(',')
      const cached = this.#sorted.get(kind)
      if (cached !== undefined && cached.generation === generation) {
        for (const o of cached.objects) objects.push(o)
        continue
      }
      const mine: KubeObject[] = []
      for (const informer of informers) {
        const { apiVersion } = informer.target.kind
        // Watch events carry kind and apiVersion; list items do not on a real API server.
        for (const o of informer.list()) mine.push((o.kind === undefined ? { ...o, kind, apiVersion } : o) as KubeObject)
      }
      // Cache order follows event order; sorted, the same objects always compile to the same table.
      sortByNamespaceAndName(mine)
      this.#sorted.set(kind, { generation, objects: mine })
      for (const o of mine) objects.push(o)
    }
    return { objects }
  }

  /** Objects per kind in the cache. */
  counts(): Map<string, number> {
    const out = new Map<string, number>()
    for (const i of this.#informers) out.set(i.target.kind.kind, (out.get(i.target.kind.kind) ?? 0) + i.list().length)
    return out
  }

  /** Objects per kind as the API server lists them now (for confirming a shrink). */
  async freshCounts(kinds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    for (const i of this.#informers) {
      const kind = i.target.kind.kind
      if (!kinds.includes(kind)) continue
      const work = listAll(this.#options.kc, i.target)
      const list = await (this.#options.forbidden ? this.#options.forbidden.track(`list ${i.target.kind.path().split('/').at(-1)}`, work) : work)
      out.set(kind, (out.get(kind) ?? 0) + list.items.length)
    }
    return out
  }

  /** Lists these kinds again from scratch (a cache found to disagree with the API server). */
  async relist(kinds: readonly string[]): Promise<void> {
    await Promise.all(this.#informers.filter((i) => kinds.includes(i.target.kind.kind)).map((i) => i.relist()))
  }

  /** The cached object (for Events' involvedObject). */
  find(kind: string, namespace: string, name: string): KubernetesObject | undefined {
    for (const i of this.#informers) {
      if (i.target.kind.kind !== kind) continue
      const hit = i.get(name, namespace === '' ? undefined : namespace)
      if (hit) return { ...hit, kind, apiVersion: i.target.kind.apiVersion }
    }
    return undefined
  }

  async stop(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.stop()))
  }
}

function sortByNamespaceAndName(objects: KubeObject[]): void {
  // Keys computed once per object, not twice per comparison.
  const keyed = objects.map((o) => [`${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, o] as const)
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  for (let i = 0; i < keyed.length; i++) objects[i] = keyed[i]![1]
}
