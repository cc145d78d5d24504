/**
 * Keeps the identity of the edge table's entries across builds: a router, service, middleware or
 * transport equal to the one of the same name in the previous build (same keys in the same order,
 * same values) is replaced by the previous object. buildEdgeTable builds every entry anew; with
 * identities kept, the later stages (the split by host, packing) can tell an unchanged entry with
 * `===` and redo only what changed. The output serializes byte for byte as the input.
 *
 * @module
 */
import type { EdgeTable } from '../../shared/table/schema.ts'

type Section = 'routers' | 'middlewares' | 'services' | 'transports'
const SECTIONS: readonly Section[] = ['routers', 'middlewares', 'services', 'transports']

export class TableInterner {
  #previous: EdgeTable | null = null

  intern(table: EdgeTable): EdgeTable {
    const before = this.#previous
    const out = { ...table }
    for (const section of SECTIONS) {
      const old = before?.[section] as Record<string, unknown> | undefined
      const entries: Record<string, unknown> = {}
      for (const [name, value] of Object.entries(table[section])) {
        const kept = old?.[name]
        entries[name] = kept !== undefined && sameValue(kept, value) ? kept : value
      }
      ;(out as Record<Section, unknown>)[section] = entries
    }
    if (table.tls !== undefined && before?.tls !== undefined && sameValue(before.tls, table.tls)) out.tls = before.tls
    this.#previous = out
    return out
  }
}

/**
 * Deep equality that implies equal JSON: plain objects with the same keys in the same order,
 * arrays of equal items, identical primitives. Stricter than JSON where they differ (an undefined
 * property, NaN), which only costs a reuse.
 */
// Hand-written: a generic deep-equal library ignores key order, which JSON's bytes depend on.
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!
    if (k !== kb[i] || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}
