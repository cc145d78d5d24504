/**
 * splitTableByHost (shared/table/split.ts) across builds: a host whose routers are the same
 * objects as last time, and whose closure finds the same objects under the same names, keeps its
 * previous part object. With TableInterner upstream, one changed IngressRoute rebuilds one host's
 * part; the packer (shared/kv/pack-table.ts) then re-serializes only that part.
 * Output equal to splitTableByHost's, key order included.
 *
 * @module
 */
import type { EdgeTable, TableRouter } from '../../shared/table/schema.ts'
import { groupRoutersByHost, withClosure, type ClosureProbe, type SplitTable } from '../../shared/table/split.ts'
import { markImmutablePart } from '../../shared/kv/pack-table.ts'

type Lookup = [map: 'middlewares' | 'services' | 'transports', name: string, found: unknown]

interface CachedPart {
  routers: Array<[string, TableRouter]>
  lookups: Lookup[]
  part: EdgeTable
}

export class IncrementalSplit {
  #parts = new Map<string, CachedPart>()
  #rest: CachedPart | null = null
  #schema: unknown = undefined
  #target: unknown = undefined

  split(table: EdgeTable): SplitTable {
    // The schema and target are in every part: a change of either rebuilds them all.
    if (table.schema !== this.#schema || table.target !== this.#target) {
      this.#parts.clear()
      this.#rest = null
      this.#schema = table.schema
      this.#target = table.target
    }
    const { restRouters, byHost } = groupRoutersByHost(table)
    const next = new Map<string, CachedPart>()
    const hosts: Record<string, EdgeTable> = {}
    for (const host of [...byHost.keys()].sort()) {
      const cached = this.#reuse(table, this.#parts.get(host), byHost.get(host)!)
      next.set(host, cached)
      hosts[host] = cached.part
    }
    this.#parts = next
    this.#rest = this.#reuse(table, this.#rest, restRouters)
    let rest = this.#rest.part
    // Every request reads `rest`; the map lists only hosts on non-default options, so it stays small.
    if (table.tls) {
      if (rest.tls !== table.tls) rest = this.#rest.part = { ...rest, tls: table.tls }
    } else if (rest.tls !== undefined) {
      const { tls: _tls, ...withoutTls } = rest
      rest = this.#rest.part = withoutTls
    }
    markImmutablePart(rest)
    return { rest, hosts }
  }

  #reuse(table: EdgeTable, cached: CachedPart | undefined | null, routers: Array<[string, TableRouter]>): CachedPart {
    if (cached && sameRouters(cached.routers, routers) && cached.lookups.every(([map, name, found]) => table[map][name] === found)) return cached
    const lookups: Lookup[] = []
    const probe: ClosureProbe = (map, name, found) => lookups.push([map, name, found])
    const part = withClosure(table, Object.fromEntries(routers), probe)
    markImmutablePart(part)
    return { routers, lookups, part }
  }
}

function sameRouters(before: Array<[string, TableRouter]>, now: Array<[string, TableRouter]>): boolean {
  if (before.length !== now.length) return false
  for (let i = 0; i < now.length; i++) if (before[i]![0] !== now[i]![0] || before[i]![1] !== now[i]![1]) return false
  return true
}
