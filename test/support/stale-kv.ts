// A KvStore view that behaves like Workers KV at one location: the pointer (an overwritten key)
// can be frozen at the value the location last saw, or shown `lagMs` late, as KV's 60-second
// propagation does, and chosen blobs can be hidden, as keys not yet readable there. Writes go to
// the inner store (write through this view for `lagMs` to see them).
import { POINTER_KEY } from '../../shared/kv/layout.ts'
import type { KvStore } from '../../control-plane/kv/store.ts'

export interface StaleKv extends KvStore {
  /** Pointer reads keep answering the pointer stored now, until thaw(). */
  freeze(): Promise<void>
  thaw(): void
  /** Keys reads answer as missing. */
  readonly hidden: Set<string>
  /** Every key read through this view, in order. */
  readonly reads: string[]
}

export function staleKv(inner: KvStore, options: { lagMs?: number } = {}): StaleKv {
  let frozen: { value: string | null } | null = null
  // Pointer writes with their times: a read sees the last one at least lagMs old.
  const history: Array<{ at: number; value: string }> = []
  const lagMs = options.lagMs ?? 0
  const hidden = new Set<string>()
  const reads: string[] = []
  return {
    ...inner,
    hidden,
    reads,
    async get(keys) {
      reads.push(...keys)
      const out = await inner.get(keys)
      for (const key of keys) {
        if (hidden.has(key)) out.set(key, null)
        else if (key === POINTER_KEY && frozen) out.set(key, frozen.value)
        else if (key === POINTER_KEY && lagMs > 0) {
          const seen = history.filter((h) => h.at <= Date.now() - lagMs).at(-1)
          if (seen) out.set(key, seen.value)
          else if (history.length > 0) out.set(key, null)
        }
      }
      return out
    },
    async put(entries) {
      await inner.put(entries)
      for (const [key, value] of entries) if (key === POINTER_KEY) history.push({ at: Date.now(), value })
    },
    async freeze() {
      frozen = { value: (await inner.get([POINTER_KEY])).get(POINTER_KEY) ?? null }
    },
    thaw() {
      frozen = null
    },
  }
}
