/**
 * Keeps the identity of the edge table's entries across builds: a router, service, middleware or
 * transport whose JSON is the same as in the previous build is replaced by the previous object.
 * buildEdgeTable builds every entry anew; with identities kept, the later stages (the split by
 * host, packing) can tell an unchanged entry with `===` and redo only what changed. The output
 * serializes byte for byte as the input.
 *
 * @module
 */
import type { EdgeTable } from '../../shared/table/schema.ts'

type Section = 'routers' | 'middlewares' | 'services' | 'transports'
const SECTIONS: readonly Section[] = ['routers', 'middlewares', 'services', 'transports']

export class TableInterner {
  /** Per section: name -> [its JSON, the object kept]. */
  #previous = new Map<Section, Map<string, [string, unknown]>>()
  #tls: [string, unknown] | null = null

  intern(table: EdgeTable): EdgeTable {
    const out = { ...table }
    for (const section of SECTIONS) {
      const before = this.#previous.get(section)
      const now = new Map<string, [string, unknown]>()
      const entries: Record<string, unknown> = {}
      for (const [name, value] of Object.entries(table[section])) {
        const json = JSON.stringify(value)
        const old = before?.get(name)
        const kept = old !== undefined && old[0] === json ? old[1] : value
        entries[name] = kept
        now.set(name, [json, kept])
      }
      ;(out as Record<Section, unknown>)[section] = entries
      this.#previous.set(section, now)
    }
    if (table.tls !== undefined) {
      const json = JSON.stringify(table.tls)
      if (this.#tls !== null && this.#tls[0] === json) out.tls = this.#tls[1] as EdgeTable['tls']
      else this.#tls = [json, table.tls]
    }
    return out
  }
}
