/**
 * Traefik's weighted round robin: earliest deadline first over a binary min-heap.
 *
 * Each entry's deadline advances by 1/weight when it is picked; the pick is the smallest deadline.
 * Ties are broken by heap position, so the heap moves exactly as Go's container/heap does
 * (same sift-up and sift-down), which makes the sequences the same as Traefik's for the same
 * order of additions. Entries with weight <= 0 are never added (Traefik ignores them).
 *
 * @module
 */

export interface EdfEntry<T> {
  readonly item: T
  readonly weight: number
  deadline: number
}

export class EdfScheduler<T> {
  readonly #heap: Array<EdfEntry<T>> = []
  #current = 0

  get size(): number {
    return this.#heap.length
  }

  /** Adds an item; returns false (and adds nothing) for a weight <= 0. */
  add(item: T, weight: number): boolean {
    if (!(weight > 0)) return false
    this.#push({ item, weight, deadline: this.#current + 1 / weight })
    return true
  }

  /**
   * The next item with the earliest deadline for which `eligible` holds. Every item popped on the
   * way is rescheduled, as Traefik does when it skips servers that are down. Null when no entry
   * is eligible (checked first, so this never loops forever).
   */
  next(eligible: (item: T) => boolean = always): T | null {
    if (!anyEligible(this.#heap, eligible)) return null
    for (;;) {
      const entry = this.#pop()
      this.#current = entry.deadline
      entry.deadline += 1 / entry.weight
      this.#push(entry)
      if (eligible(entry.item)) return entry.item
    }
  }

  #push(entry: EdfEntry<T>): void {
    const h = this.#heap
    h.push(entry)
    let j = h.length - 1
    while (j > 0) {
      const i = (j - 1) >> 1
      if (!(h[j]!.deadline < h[i]!.deadline)) break
      swap(h, i, j)
      j = i
    }
  }

  #pop(): EdfEntry<T> {
    const h = this.#heap
    const n = h.length - 1
    swap(h, 0, n)
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      let j = left
      if (left + 1 < n && h[left + 1]!.deadline < h[left]!.deadline) j = left + 1
      if (!(h[j]!.deadline < h[i]!.deadline)) break
      swap(h, i, j)
      i = j
    }
    return h.pop()!
  }
}

function swap<T>(h: T[], i: number, j: number): void {
  const t = h[i]!
  h[i] = h[j]!
  h[j] = t
}

function always(): boolean {
  return true
}

// A loop, not heap.some() with an arrow over `eligible`: no closure on every pick.
function anyEligible<T>(heap: ReadonlyArray<EdfEntry<T>>, eligible: (item: T) => boolean): boolean {
  for (let i = 0; i < heap.length; i++) if (eligible(heap[i]!.item)) return true
  return false
}
