// Diagnostics kept per unit of work (a compile unit, a table entry), the non-empty lists only,
// with their concatenation made again only after one changed: at 100k units, most have none and
// a change touches a few.
import { sameValue } from '../../table/intern.ts'

export class KeyedLists<T> {
  readonly #lists = new Map<string, T[]>()
  #all: T[] | null = []
  /** Keys set to another list since the last takeChanged() (when asked to keep them). */
  #changed: Set<string> | null

  constructor(trackChanges = false) {
    this.#changed = trackChanges ? new Set() : null
  }

  /** A key's list (empty: none). */
  get(key: string): readonly T[] {
    return this.#lists.get(key) ?? []
  }

  /** The keys with a list. */
  keys(): IterableIterator<string> {
    return this.#lists.keys()
  }

  /** The keys whose list changed since the last call (with trackChanges). */
  takeChanged(): Set<string> {
    const out = this.#changed ?? new Set<string>()
    if (this.#changed) this.#changed = new Set()
    return out
  }

  /** Sets a key's list (empty: none); an equal list keeps the present one. */
  set(key: string, list: T[]): void {
    const before = this.#lists.get(key)
    if (list.length === 0) {
      if (before === undefined) return
      this.#lists.delete(key)
    } else {
      if (before !== undefined && sameValue(before, list)) return
      this.#lists.set(key, list)
    }
    this.#all = null
    this.#changed?.add(key)
  }

  /** Every list's items, lists in key order when `sorted`, else in the order keys were first set. */
  all(sorted = false): T[] {
    if (this.#all === null) {
      const out: T[] = []
      const keys = sorted ? [...this.#lists.keys()].sort() : this.#lists.keys()
      for (const k of keys) for (const item of this.#lists.get(k)!) out.push(item)
      this.#all = out
    }
    return this.#all
  }
}
