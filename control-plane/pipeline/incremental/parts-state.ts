/**
 * The table split by host (shared/table/split.ts) and packed into KV blobs
 * (control-plane/publish/pack-table.ts), kept across changes: a host's part is rebuilt when one of
 * its routers changed or an entry its closure reached did (each part's lookups are indexed
 * backwards), a routes bucket is re-serialized and re-hashed when one of its hosts' parts changed,
 * an endpoints shard when the servers of a service it holds changed or its buckets did. Nothing
 * of a part is kept but what finds it again (its routers, its lookups, its size): a dirty bucket's
 * other parts are rebuilt from the table, which costs less than holding every part's JSON (kept
 * while a burst re-packs most buckets each second, it saved that garbage but raised the burst's
 * peak RSS: what is live sets how far V8 lets the heap grow; docs/performance-history.md). An
 * endpoints shard takes its parts' services from their lookups, without building them.
 * The blobs and manifest are those packTable gives for splitTableByHost of the same table,
 * hosts too large for a KV value left out as it leaves them out, and the internal services'
 * document (the manifest's `documents`) beside them.
 *
 * @module
 */
import { blobDigest, bucketOf, LAYOUT_VERSION, MAX_VALUE_BYTES, normalizeHost, type TableManifest } from '../../../shared/kv/layout.ts'
import { TABLE_SCHEMA_VERSION, type EdgeTable, type TableRouter } from '../../../shared/table/schema.ts'
import { withClosure, type ClosureProbe } from '../../../shared/table/split.ts'
import {
  BUCKET_OVERHEAD,
  bucketCountFor,
  bucketText,
  droppedHost,
  fits,
  PACK_DEFAULTS,
  shardCountFor,
  type DroppedHost,
  type EdgeTableInput,
  type HostEntry,
  type PackedTable,
  type PackOptions,
} from '../../../shared/kv/pack-table.ts'
import { sealTablePart, type SecretsSealer } from '../../publish/seal-secrets.ts'
import { withHealth, type HealthState } from './health-overlay.ts'
import type { TableDelta, TableState } from './table-state.ts'

/** The key of the part that holds the routers of no single host. */
const REST = ''

/** The prefix of a part's lookups of services (`map\0name`). */
const SERVICES = 'services\u0000'

export class PartsState {
  readonly #opts: Required<PackOptions>
  readonly #sealer: SecretsSealer | null
  /** Part (host, or REST) -> what finds it again. */
  readonly #parts = new Map<string, Part>()
  /** `map\0name` -> the parts that looked it up. */
  readonly #lookedUpBy = new Map<string, string | Set<string>>()
  /** Normalized host -> host, for the hosts whose normalized form is another string. */
  readonly #normalized = new Map<string, string>()
  /** Active health checks' state, written into the endpoints (control-plane/health). */
  health: HealthState = new Map()
  #total = 0
  #bucketCount = 0
  /** Sorted normalized hosts of each bucket. */
  #buckets: string[][] = []
  #bucketDigests: Array<string | null> = []
  #shardDigests: Array<string | null> = []
  #rest = ''
  #restServices: string[] = []
  #endpointsRest = ''
  #manifest: Omit<TableManifest, 'issuedAt' | 'expiresAt'> | null = null
  /** Parts that do not fit a KV value on their own (left out of the buckets), by host. */
  readonly #droppedAlone = new Map<string, DroppedHost>()
  /** Per bucket, the hosts left out because the bucket did not fit with them (normalized), as packTable drops them. */
  readonly #droppedFrom = new Map<number, DroppedHost[]>()
  /** UTF-8 bytes of each blob the manifest names, by digest. */
  #bytes = new Map<string, number>()

  constructor(options: { pack?: PackOptions; sealer?: SecretsSealer | null } = {}) {
    this.#opts = { ...PACK_DEFAULTS, ...options.pack }
    this.#sealer = options.sealer ?? null
  }

  #record(part: string): Part {
    let found = this.#parts.get(part)
    if (found === undefined) this.#parts.set(part, (found = { routers: undefined, lookups: undefined, size: undefined }))
    return found
  }

  /** The host a normalized host stands for. */
  #host(normalized: string): string {
    return this.#normalized.get(normalized) ?? normalized
  }

  /**
   * Applies what the table changed; returns the manifest and the blobs this batch made.
   * `documents`: the blobs the table names from inside (digest -> text), written with every build.
   */
  async apply(state: TableState, delta: TableDelta, documents: Record<string, string> = {}): Promise<PackedTable> {
    const table: EdgeTable = state.table
    const dirtyParts = new Set<string>()
    for (const [name, before] of delta.routers) {
      for (const part of partsOf(before)) {
        const record = this.#parts.get(part)
        if (record) record.routers = without(record.routers, name)
      }
      const now = table.routers[name]
      for (const part of partsOf(now)) {
        const record = this.#record(part)
        record.routers = withMember(record.routers, name)
      }
      for (const part of [...partsOf(before), ...partsOf(now)]) dirtyParts.add(part)
    }
    const dirtyServers = new Set<string>()
    for (const [map, names] of [
      ['services', delta.services],
      ['middlewares', delta.middlewares],
      ['transports', delta.transports],
    ] as const) {
      for (const n of names) for (const part of members(this.#lookedUpBy.get(`${map}\u0000${n}`))) dirtyParts.add(part)
    }
    for (const n of delta.endpoints) dirtyServers.add(n)
    if (delta.tls || this.#manifest === null) dirtyParts.add(REST)

    // Parts: lookups and sizes now; their JSON as it is made, for the buckets below.
    const texts = new Map<string, string>()
    const dirtyBuckets = new Set<number>()
    const restServicesBefore = this.#restServices
    let restText: string | null = null
    for (const part of dirtyParts) {
      if (part !== REST && this.#parts.get(part)?.routers === undefined) {
        this.#setLookups(part, [])
        this.#setSize(part, undefined)
        this.#parts.delete(part)
        this.#droppedAlone.delete(part)
        continue
      }
      const lookups: string[] = []
      const built = this.#part(state, part, (map, name) => lookups.push(`${map}\u0000${name}`))
      this.#setLookups(part, lookups)
      const text = JSON.stringify(await sealTablePart(built, this.#sealer))
      if (part === REST) {
        restText = text
        this.#restServices = Object.keys(built.services)
        continue
      }
      this.#droppedAlone.delete(part)
      if (!fits(text, BUCKET_OVERHEAD)) {
        // Left out, but kept: a change may make it fit again.
        this.#droppedAlone.set(part, droppedHost([normalizeHost(part), text, built], true))
        this.#setSize(part, undefined)
        continue
      }
      texts.set(part, text)
      this.#setSize(part, text.length)
    }
    const restNamesChanged = !sameList(restServicesBefore, this.#restServices)

    const blobs = new Map<string, string>()
    const add = async (what: string, text: string): Promise<string> => {
      if (text.length > MAX_VALUE_BYTES / 4 && Buffer.byteLength(text) > MAX_VALUE_BYTES) {
        throw new Error(`${what} is larger than Workers KV's 25 MiB value limit`)
      }
      const digest = await blobDigest(text)
      blobs.set(digest, text)
      if (!this.#bytes.has(digest)) this.#bytes.set(digest, Buffer.byteLength(text))
      return digest
    }
    if (restText !== null) this.#rest = await add('the host-independent routes part', restText)

    // Buckets: all of them again when their number changes, else those of the changed hosts.
    const bucketCount = bucketCountFor(this.#total, this.#opts)
    const shardCount = shardCountFor(bucketCount, this.#opts)
    if (bucketCount !== this.#bucketCount) {
      this.#bucketCount = bucketCount
      this.#buckets = Array.from({ length: bucketCount }, () => [])
      const hosts: string[] = []
      for (const [part, record] of this.#parts) if (part !== REST && record.size !== undefined) hosts.push(normalizeHost(part))
      for (const h of hosts.sort()) this.#buckets[bucketOf(h, bucketCount)]!.push(h)
      this.#bucketDigests = Array.from({ length: bucketCount }, () => null)
      this.#shardDigests = Array.from({ length: shardCount }, () => null)
      this.#droppedFrom.clear()
      for (let i = 0; i < bucketCount; i++) dirtyBuckets.add(i)
    } else {
      for (const host of dirtyParts) if (host !== REST) dirtyBuckets.add(bucketOf(host, bucketCount))
    }
    for (const i of [...dirtyBuckets].sort((a, b) => a - b)) {
      const hosts = this.#buckets[i]!
      this.#droppedFrom.delete(i)
      if (hosts.length === 0) {
        this.#bucketDigests[i] = null
        continue
      }
      const entries: HostEntry[] = []
      for (const h of hosts) {
        const host = this.#host(h)
        const text = texts.get(host)
        if (text !== undefined) entries.push([h, text, null])
        else {
          const part = this.#part(state, host)
          entries.push([h, JSON.stringify(await sealTablePart(part, this.#sealer)), part])
        }
      }
      let text = bucketText(entries)
      if (!fits(text)) {
        // As packTable: the largest leave the bucket until it fits.
        const dropped: DroppedHost[] = []
        const bySize = [...entries].sort((a, b) => b[1].length - a[1].length)
        while (!fits(text)) {
          const largest = bySize.shift()!
          entries.splice(entries.indexOf(largest), 1)
          dropped.push(droppedHost([largest[0], largest[1], largest[2] ?? this.#part(state, this.#host(largest[0]))], false))
          text = bucketText(entries)
        }
        this.#droppedFrom.set(i, dropped)
      }
      this.#bucketDigests[i] = entries.length === 0 ? null : await add(`routes bucket ${i}`, text)
    }

    // Endpoints: the rest's services, then per shard the services its buckets' parts name.
    const restNames = new Set(this.#restServices)
    const endpoints = state.endpoints
    const servers = (n: string) => withHealth(endpoints[n]!, this.health.get(n))
    const servicesText = (services: Record<string, unknown>) => JSON.stringify({ schema: TABLE_SCHEMA_VERSION, services })
    if (restNamesChanged || this.#manifest === null || this.#restServices.some((n) => dirtyServers.has(n))) {
      const services: Record<string, unknown> = Object.create(null)
      for (const n of this.#restServices) if (Object.hasOwn(endpoints, n)) services[n] = servers(n)
      this.#endpointsRest = await add('the rest endpoints', servicesText(services))
    }
    const dirtyShards = new Set<number>()
    if (restNamesChanged) for (let j = 0; j < shardCount; j++) dirtyShards.add(j)
    for (const i of dirtyBuckets) dirtyShards.add(i % shardCount)
    for (const n of dirtyServers) {
      for (const part of members(this.#lookedUpBy.get(`services\u0000${n}`))) if (part !== REST) dirtyShards.add(bucketOf(part, bucketCount) % shardCount)
    }
    for (const j of [...dirtyShards].sort((a, b) => a - b)) {
      let used = false
      const services: Record<string, unknown> = Object.create(null)
      for (let i = j; i < bucketCount; i += shardCount) {
        if (this.#bucketDigests[i] !== null) used = true
        const left = this.#droppedFrom.get(i)
        for (const h of this.#buckets[i]!) {
          if (left?.some((d) => d.host === h)) continue
          for (const n of this.#serviceNames(state, this.#host(h))) if (!restNames.has(n) && Object.hasOwn(endpoints, n)) services[n] = servers(n)
        }
      }
      this.#shardDigests[j] = used ? await add(`endpoints shard ${j}`, servicesText(services)) : null
    }

    const named: string[] = []
    for (const [digest, text] of Object.entries(documents)) {
      if ((await add('a document the routes name', text)) !== digest) throw new Error(`document ${digest.slice(0, 12)} does not match its digest`)
      named.push(digest)
    }
    const version = await blobDigest([this.#rest, ...this.#bucketDigests].join(','))
    const endpointsVersion = await blobDigest([this.#endpointsRest, ...this.#shardDigests].join(','))
    this.#manifest = {
      layout: LAYOUT_VERSION,
      schema: TABLE_SCHEMA_VERSION,
      routes: { version, rest: this.#rest, buckets: [...this.#bucketDigests] },
      endpoints: { version: endpointsVersion, rest: this.#endpointsRest, buckets: [...this.#shardDigests] },
      ...(named.length ? { documents: named } : {}),
    }
    const all = new Set([this.#rest, this.#endpointsRest, ...this.#bucketDigests, ...this.#shardDigests, ...named])
    for (const digest of this.#bytes.keys()) if (!all.has(digest)) this.#bytes.delete(digest)
    return { manifest: this.#manifest, blobs, dropped: this.#dropped() }
  }

  /** Hosts left out, in packTable's order: those too large alone (by host), then bucket by bucket. */
  #dropped(): DroppedHost[] {
    if (this.#droppedAlone.size === 0 && this.#droppedFrom.size === 0) return []
    const alone = [...this.#droppedAlone.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
    const fromBuckets = [...this.#droppedFrom].sort(([a], [b]) => a - b).flatMap(([, list]) => list)
    return [...alone, ...fromBuckets]
  }

  /** UTF-8 bytes of the blobs the last manifest names (each distinct blob once). */
  get bytes(): number {
    let total = 0
    for (const n of this.#bytes.values()) total += n
    return total
  }

  /** The whole split table and its endpoints, as the publisher would take them (every part built: O(table)). */
  splitTable(state: TableState): EdgeTableInput<EdgeTable> {
    const hosts: Record<string, EdgeTable> = {}
    const kept = (p: string) => p !== REST && (this.#parts.get(p)!.size !== undefined || this.#droppedAlone.has(p))
    for (const part of [...this.#parts.keys()].filter(kept).sort()) hosts[part] = this.#part(state, part)
    const services: Record<string, unknown> = {}
    for (const [n, eps] of Object.entries(state.endpoints)) services[n] = withHealth(eps, this.health.get(n))
    return { schema: TABLE_SCHEMA_VERSION, routes: { rest: this.#part(state, REST), hosts }, endpoints: { schema: TABLE_SCHEMA_VERSION, services } }
  }

  /** A part as splitTableByHost makes it: its routers by name, with their closure. */
  #part(state: TableState, part: string, probe?: ClosureProbe): EdgeTable {
    const routers: Record<string, TableRouter> = {}
    for (const name of [...members(this.#parts.get(part)?.routers)].sort()) routers[name] = state.table.routers[name]!
    const built = withClosure(state.table, routers, probe)
    if (part === REST && state.tls) built.tls = state.tls
    return built
  }

  /**
   * The services of a part as built (the keys of its `services`, in order), from the lookups it
   * made when it was last built: each service the closure found, in the order it first looked it
   * up; one it did not find is not in the table (had it come since, the part would be dirty).
   */
  #serviceNames(state: TableState, part: string): string[] {
    const names: string[] = []
    for (const k of members(this.#parts.get(part)?.lookups)) {
      if (!k.startsWith(SERVICES)) continue
      const name = k.slice(SERVICES.length)
      if (Object.hasOwn(state.table.services, name)) names.push(name)
    }
    return names
  }

  #setLookups(part: string, lookups: string[]): void {
    const record = this.#record(part)
    for (const k of members(record.lookups)) removeFrom(this.#lookedUpBy, k, part)
    const unique = [...new Set(lookups)]
    record.lookups = unique.length === 0 ? undefined : unique.length === 1 ? unique[0]! : unique
    for (const k of unique) addTo(this.#lookedUpBy, k, part)
  }

  #setSize(host: string, size: number | undefined): void {
    const record = this.#record(host)
    const before = record.size
    if (before !== undefined) this.#total -= before
    const h = normalizeHost(host)
    record.size = size
    if (size === undefined) {
      if (before === undefined) return
      if (this.#normalized.get(h) === host) this.#normalized.delete(h)
      if (this.#bucketCount > 0) removeSorted(this.#buckets[bucketOf(h, this.#bucketCount)]!, h)
      return
    }
    this.#total += size
    if (before !== undefined) return
    // Two hosts one normalized key would hold (`a.test` and `A.test:80`): packTable refuses them too.
    const other = h === host ? this.#normalized.get(h) : (this.#normalized.get(h) ?? (this.#parts.get(h)?.size !== undefined ? h : undefined))
    if (other !== undefined && other !== host) throw new Error(`host ${JSON.stringify(host)} appears twice in the split table`)
    if (h !== host) this.#normalized.set(h, host)
    if (this.#bucketCount > 0) insertSorted(this.#buckets[bucketOf(h, this.#bucketCount)]!, h)
  }
}

interface Part {
  routers: string | Set<string> | undefined
  lookups: string | string[] | undefined
  /** Length of the part's JSON (a host's; what the bucket count is computed from). */
  size: number | undefined
}

function withMember(found: string | Set<string> | undefined, value: string): string | Set<string> {
  if (found === undefined || found === value) return value
  if (typeof found === 'string') return new Set([found, value])
  found.add(value)
  return found
}

function without(found: string | Set<string> | undefined, value: string): string | Set<string> | undefined {
  if (found === undefined || found === value) return undefined
  if (typeof found === 'string') return found
  found.delete(value)
  return found.size === 1 ? found.values().next().value! : found.size === 0 ? undefined : found
}

function members(found: string | Iterable<string> | undefined): Iterable<string> {
  return found === undefined ? [] : typeof found === 'string' ? [found] : found
}

function addTo(map: Map<string, string | Set<string>>, key: string, value: string): void {
  const found = map.get(key)
  if (found === undefined) map.set(key, value)
  else if (typeof found === 'string') {
    if (found !== value) map.set(key, new Set([found, value]))
  } else found.add(value)
}

function removeFrom(map: Map<string, string | Set<string>>, key: string, value: string): void {
  const found = map.get(key)
  if (found === undefined) return
  if (typeof found === 'string') {
    if (found === value) map.delete(key)
    return
  }
  found.delete(value)
  if (found.size === 1) map.set(key, found.values().next().value!)
  else if (found.size === 0) map.delete(key)
}

/** The parts a router is in: its exact hosts, or the rest. */
function partsOf(router: TableRouter | undefined): string[] {
  if (router === undefined) return []
  return router.hosts === null || router.hosts.length === 0 ? [REST] : router.hosts
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Where `item` is or would go in a sorted list. */
function lowerBound(list: readonly string[], item: string): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid]! < item) lo = mid + 1
    else hi = mid
  }
  return lo
}

function insertSorted(list: string[], item: string): void {
  const at = lowerBound(list, item)
  if (list[at] !== item) list.splice(at, 0, item)
}

function removeSorted(list: string[], item: string): void {
  const at = lowerBound(list, item)
  if (list[at] === item) list.splice(at, 1)
}
