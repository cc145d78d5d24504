// Which object each name of the dynamic configuration comes from (diagnostics/sources.ts's
// index), kept up to date object by object from the watch events, so locating the table's
// problems costs the changed objects, not every object. Same answers as indexSources over the
// validated, sorted snapshot: for a name several objects give, the first in that order (kinds in
// `kindOrder`, then namespace/name).
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import { nameOf, namespaceOf } from '../../compiler/snapshot/snapshot.ts'
import { sourcesOf, type SourceIndex, type SourceRef } from '../../diagnostics/sources.ts'

interface Candidate {
  order: string
  ref: SourceRef
}

export class LiveSources {
  /** Kind -> its rank's character (kinds not listed sort last). */
  readonly #rank: Map<string, string>
  readonly index: SourceIndex = { routers: new Map(), services: new Map(), middlewares: new Map(), tlsOptions: new Map(), transports: new Map() }
  /** `map\0name` -> the objects that give it (one nearly always: the candidate alone then). */
  readonly #candidates = new Map<string, Candidate | Candidate[]>()
  /** Object (its order key) -> it and the names it gave. */
  readonly #given = new Map<string, { object: KubeObject; names: Array<[keyof SourceIndex, string]> }>()
  /** Names whose object changed since the last takeChanged(). */
  #changed = new Set<string>()

  /** `kindOrder`: the kinds in the order the snapshot lists them. */
  constructor(kindOrder: readonly string[]) {
    this.#rank = new Map(kindOrder.map((k, i) => [k, String.fromCharCode(65 + i)]))
  }

  /** The names (`map\0name`) whose object changed since the last call. */
  takeChanged(): Set<string> {
    const out = this.#changed
    this.#changed = new Set()
    return out
  }

  /** Starts again from these objects. */
  reset(objects: Iterable<KubeObject>): void {
    for (const map of Object.values(this.index)) map.clear()
    this.#candidates.clear()
    this.#given.clear()
    for (const o of objects) this.set(o)
  }

  /** The object as it is now (undefined, or `kept` false: gone, or refused by validation). */
  set(object: KubeObject | undefined, identity?: { kind: string; namespace: string; name: string }, kept = true): void {
    const kind = identity?.kind ?? object?.kind ?? ''
    const order = `${this.#rank.get(kind) ?? 'Z'}${identity ? `${identity.namespace}/${identity.name}` : `${namespaceOf(object!)}/${nameOf(object!)}`}`
    for (const [map, key] of this.#given.get(order)?.names ?? []) this.#withdraw(map, key, order)
    this.#given.delete(order)
    if (object === undefined || !kept) return
    const given: Array<[keyof SourceIndex, string]> = []
    for (const [map, key, ref] of sourcesOf(object)) {
      const k = `${map}\u0000${key}`
      const found = this.#candidates.get(k)
      const candidate = { order, ref }
      if (found === undefined) this.#candidates.set(k, candidate)
      else if (Array.isArray(found)) found.push(candidate)
      else this.#candidates.set(k, [found, candidate])
      given.push([map, key])
      this.#elect(map, key)
    }
    if (given.length > 0) this.#given.set(order, { object, names: given })
  }

  /** The object of a kind, namespace and name that gives names (objectFinder's answer for the index's objects). */
  find(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.#given.get(`${this.#rank.get(kind) ?? 'Z'}${namespace}/${name}`)?.object
  }

  #withdraw(map: keyof SourceIndex, key: string, order: string): void {
    const k = `${map}\u0000${key}`
    const found = this.#candidates.get(k)
    if (found === undefined) return
    if (!Array.isArray(found)) {
      if (found.order === order) this.#candidates.delete(k)
    } else {
      const rest = found.filter((c) => c.order !== order)
      if (rest.length === 0) this.#candidates.delete(k)
      else this.#candidates.set(k, rest.length === 1 ? rest[0]! : rest)
    }
    this.#elect(map, key)
  }

  #elect(map: keyof SourceIndex, key: string): void {
    const k = `${map}\u0000${key}`
    const found = this.#candidates.get(k)
    const before = this.index[map].get(key)
    if (found === undefined) {
      if (before !== undefined) this.#changed.add(k)
      this.index[map].delete(key)
      return
    }
    let best = Array.isArray(found) ? found[0]! : found
    if (Array.isArray(found)) for (const c of found) if (c.order < best.order) best = c
    if (before !== best.ref) this.#changed.add(k)
    this.index[map].set(key, best.ref)
  }
}
