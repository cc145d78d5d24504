// Diagnostics kept per unit of work (a compile unit, a table entry), the non-empty lists only,
// with their concatenation made again only after one changed: at 100k units, most have none and
// a change touches a few.
import { sameValue } from '../../table/intern.ts'

export class KeyedLists<T> {
  readonly #lists = new Map<string, T[]>()
  #all: T[] | null = []

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
