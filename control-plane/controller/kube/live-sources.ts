// The dashboard's index of which object each name of the dynamic configuration comes from
// (dashboard/sources.ts), kept up to date object by object from the watch events, so locating
// the table's problems for their Events costs the changed objects, not every object. Same
// answers as indexSources over the cache's validated, sorted snapshot: for a name several objects
// give, the first in that order (kinds as watched, then namespace/name).
import type { KubeObject } from '../../compiler/snapshot/kube-types.ts'
import { nameOf, namespaceOf } from '../../compiler/snapshot/snapshot.ts'
import { sourcesOf, type SourceIndex, type SourceRef } from '../../dashboard/sources.ts'
import { CORE_WATCHED, NODE_WATCHED, TRAEFIK_WATCHED } from './watched-kinds.ts'

const RANK = new Map([...TRAEFIK_WATCHED, ...CORE_WATCHED, NODE_WATCHED].map((k, i) => [k.kind, String.fromCharCode(65 + i)]))

interface Candidate {
  order: string
  ref: SourceRef
}

export class LiveSources {
  readonly index: SourceIndex = { routers: new Map(), services: new Map(), middlewares: new Map(), tlsOptions: new Map(), transports: new Map() }
  /** `map\0name` -> the objects that give it (one nearly always: the candidate alone then). */
  readonly #candidates = new Map<string, Candidate | Candidate[]>()
  /** Object (its order key) -> the names it gave. */
  readonly #given = new Map<string, Array<[keyof SourceIndex, string]>>()

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
    const order = `${RANK.get(kind) ?? 'Z'}${identity ? `${identity.namespace}/${identity.name}` : `${namespaceOf(object!)}/${nameOf(object!)}`}`
    for (const [map, key] of this.#given.get(order) ?? []) this.#withdraw(map, key, order)
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
    if (given.length > 0) this.#given.set(order, given)
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
    const found = this.#candidates.get(`${map}\u0000${key}`)
    if (found === undefined) {
      this.index[map].delete(key)
      return
    }
    let best = Array.isArray(found) ? found[0]! : found
    if (Array.isArray(found)) for (const c of found) if (c.order < best.order) best = c
    this.index[map].set(key, best.ref)
  }
}
