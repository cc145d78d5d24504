// Pure step of publishing: turns the edge table (already split by host) into content-addressed
// blobs and the manifest that names them. Deterministic: the same table gives the same digests,
// so an unchanged table costs no write.
import { LAYOUT_VERSION, MAX_VALUE_BYTES, blobDigest, bucketOf, normalizeHost, serviceNames, type TableManifest } from './layout.ts'

/**
 * The endpoints table: servers by service name, plus fields every endpoints blob repeats (its
 * schema). A part needs the servers of the services its own `services` map names.
 */
export interface EndpointsInput {
  services?: Record<string, unknown>
  [field: string]: unknown
}

/** The edge table as splitTableByHost gives it, plus its endpoints (an EndpointsInput) and schema version. */
export interface EdgeTableInput<Part = unknown, Endpoints = unknown> {
  schema: string | number
  routes: { rest: Part; hosts: Record<string, Part> | Map<string, Part> }
  endpoints: Endpoints
  /** Blobs the routes name by digest (internal services' documents): digest -> text. */
  documents?: Record<string, string>
}

export interface PackOptions {
  /** Below this many bytes of host parts, everything goes in one bucket. */
  shardThresholdBytes?: number
  /** Aimed-for size of one bucket blob once sharded. */
  bucketTargetBytes?: number
  /** Upper bound on buckets: the pointer lists one digest per bucket. */
  maxBuckets?: number
  /** Upper bound on endpoints shards (one per bucket below it, one per 2^k buckets above). */
  maxEndpointShards?: number
}

export interface PackedTable {
  manifest: Omit<TableManifest, 'issuedAt' | 'expiresAt'>
  /** digest -> stored text. */
  blobs: Map<string, string>
  /** Hosts left out because their routes do not fit in one KV value; the rest is packed. */
  dropped: DroppedHost[]
}

/** A host whose part was not published, with its routers and why (one line for the operator). */
export interface DroppedHost {
  host: string
  /** The routers of its part (the table's names). */
  routers: string[]
  bytes: number
  message: string
}

export const PACK_DEFAULTS: Required<PackOptions> = {
  shardThresholdBytes: 256 * 1024,
  bucketTargetBytes: 128 * 1024,
  maxBuckets: 1024,
  // 1024 + 512 digests keep the pointer's payload about 70 KB.
  maxEndpointShards: 512,
}

export async function packTable(input: EdgeTableInput, options: PackOptions = {}): Promise<PackedTable> {
  const opts = { ...PACK_DEFAULTS, ...options }
  const dropped: DroppedHost[] = []
  // A host's part that cannot fit a KV value on its own is left out, not the whole table (issue 17).
  const hosts = hostParts(input.routes.hosts).filter((entry) => fits(entry[1], BUCKET_OVERHEAD) || (dropped.push(droppedHost(entry, true)), false))
  const total = hosts.reduce((sum, [, text]) => sum + text.length, 0)
  const bucketCount = bucketCountFor(total, opts)
  const shardCount = shardCountFor(bucketCount, opts)

  if (bucketCount !== lastBucketCount) lastBuckets.clear()
  lastBucketCount = bucketCount
  const grouped: HostEntry[][] = Array.from({ length: bucketCount }, () => [])
  for (const entry of hosts) grouped[bucketOf(entry[0], bucketCount)]!.push(entry)

  const blobs = new Map<string, string>()
  const add = async (what: string, text: string, slot?: string): Promise<string> => {
    if (text.length > MAX_VALUE_BYTES / 4 && new TextEncoder().encode(text).length > MAX_VALUE_BYTES) {
      throw new Error(`${what} is larger than Workers KV's 25 MiB value limit`)
    }
    const digest = slot === undefined ? await blobDigest(text) : await digestOf(slot, text)
    blobs.set(digest, text)
    return digest
  }

  const rest = await add('the host-independent routes part', partJson(input.routes.rest), 'rest')
  const buckets: Array<string | null> = []
  for (let [i, entries] of grouped.entries()) {
    if (entries.length === 0) {
      buckets.push(null)
      continue
    }
    // A bucket whose hosts and parts are those of the last pack is the same blob: no rebuild, no rehash.
    const last = lastBuckets.get(i)
    if (last !== undefined && sameEntries(last.entries, entries)) {
      blobs.set(last.digest, last.text)
      buckets.push(last.digest)
      continue
    }
    // Parts are already JSON: splice them in rather than parse and re-serialise.
    let text = bucketText(entries)
    if (!fits(text)) {
      // Hosts that fit alone but not together: the largest leave the bucket until it fits.
      entries = [...entries]
      const bySize = [...entries].sort((a, b) => b[1].length - a[1].length)
      while (!fits(text)) {
        const largest = bySize.shift()!
        entries.splice(entries.indexOf(largest), 1)
        dropped.push(droppedHost(largest, false))
        text = bucketText(entries)
      }
      grouped[i] = entries
      if (entries.length === 0) {
        buckets.push(null)
        continue
      }
    }
    const digest = await add(`routes bucket ${i}`, text)
    lastBuckets.set(i, { entries, text, digest })
    buckets.push(digest)
  }

  // Endpoints, sharded like the routes so an isolate reads the servers of the buckets it serves:
  // `rest` gets the services the rest part names, shard j those its buckets' host parts name, less rest's.
  const { services: servers = {}, ...fields } = input.endpoints as EndpointsInput
  const restNames = new Set(serviceNames(input.routes.rest))
  // Null prototypes: a service named `__proto__` is a key like any other.
  const restServices: Record<string, unknown> = Object.create(null)
  for (const name of restNames) if (Object.hasOwn(servers, name)) restServices[name] = servers[name]
  // In the order the shard's hosts (sorted) and their parts name them: as deterministic as the table.
  const shardServices: Array<Record<string, unknown>> = Array.from({ length: shardCount }, () => Object.create(null))
  for (const [i, entries] of grouped.entries()) {
    const services = shardServices[i % shardCount]!
    for (const [, , part] of entries) {
      for (const name of partServiceNames(part)) {
        if (!restNames.has(name) && Object.hasOwn(servers, name)) services[name] = servers[name]
      }
    }
  }
  const endpointsText = (services: Record<string, unknown>): string => JSON.stringify({ ...fields, services })
  const endpointsRest = await add('the rest endpoints', endpointsText(restServices), 'endpoints/rest')
  const shards: Array<string | null> = []
  for (const [j, services] of shardServices.entries()) {
    let used = false
    for (let i = j; i < bucketCount && !used; i += shardCount) used = buckets[i] !== null
    shards.push(used ? await add(`endpoints shard ${j}`, endpointsText(services), `endpoints/${j}`) : null)
  }
  const documents: string[] = []
  for (const [digest, text] of Object.entries(input.documents ?? {})) {
    if ((await add('a document the routes name', text)) !== digest) throw new Error(`document ${digest.slice(0, 12)} does not match its digest`)
    documents.push(digest)
  }
  const version = await blobDigest([rest, ...buckets].join(','))
  const endpointsVersion = await blobDigest([endpointsRest, ...shards].join(','))
  return {
    manifest: {
      layout: LAYOUT_VERSION,
      schema: input.schema,
      routes: { version, rest, buckets },
      endpoints: { version: endpointsVersion, rest: endpointsRest, buckets: shards },
      ...(documents.length ? { documents } : {}),
    },
    blobs,
    dropped,
  }
}

/** `{"hosts":{` and `}}` around a bucket's parts, and a host name's quotes and colon. */
export const BUCKET_OVERHEAD = 1024

/** Whether `text` (plus `extra` bytes) fits one Workers KV value. */
export function fits(text: string, extra = 0): boolean {
  const limit = MAX_VALUE_BYTES - extra
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: most texts need no encoding to tell.
  return text.length * 3 <= limit || (text.length <= limit && new TextEncoder().encode(text).length <= limit)
}

/** A routes bucket's text: its hosts' parts (already JSON) spliced in. */
export function bucketText(entries: HostEntry[]): string {
  return `{"hosts":{${entries.map(([host, text]) => `${JSON.stringify(host)}:${text}`).join(',')}}}`
}

/** A host left out: alone (its part does not fit a value), or from a bucket too large with it. */
export function droppedHost([host, text, part]: HostEntry, alone: boolean): DroppedHost {
  const bytes = new TextEncoder().encode(text).length
  const routers = Object.keys((part as { routers?: Record<string, unknown> } | null)?.routers ?? {})
  const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`
  const why = alone
    ? `its routes take ${mib(bytes)}, more than Workers KV's 25 MiB value limit`
    : `its routes (${mib(bytes)}) and the other hosts of its bucket take more than Workers KV's 25 MiB value limit`
  return {
    host,
    routers,
    bytes,
    message: `host ${host}: not published: ${why} (routers ${routers.join(', ')}); its requests are answered as if it had no routes`,
  }
}

/** How many routes buckets `total` characters of host parts make. */
export function bucketCountFor(total: number, opts: Required<PackOptions>): number {
  return total <= opts.shardThresholdBytes ? 1 : Math.min(opts.maxBuckets, nextPowerOfTwo(Math.ceil(total / opts.bucketTargetBytes)))
}

/** How many endpoints shards go with `bucketCount` routes buckets. */
export function shardCountFor(bucketCount: number, opts: Required<PackOptions>): number {
  return Math.min(bucketCount, nextPowerOfTwo(opts.maxEndpointShards))
}

/** Normalized, sorted (host, JSON) pairs; hosts differing only in case or port share one key. */
function hostParts(hosts: EdgeTableInput['routes']['hosts']): HostEntry[] {
  const entries = hosts instanceof Map ? [...hosts] : Object.entries(hosts)
  const out = new Map<string, HostEntry>()
  for (const [host, part] of entries) {
    const key = normalizeHost(host)
    if (out.has(key)) throw new Error(`host ${JSON.stringify(host)} appears twice in the split table`)
    out.set(key, [key, partJson(part), part])
  }
  return [...out.values()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** Normalized host, its part's JSON, the part. */
export type HostEntry = [host: string, json: string, part: unknown]

/**
 * Memory of the last pack, so that packing after a small change costs what changed: the JSON of
 * parts the incremental split (control-plane/table/incremental-split.ts) marked immutable, each
 * bucket's blob by its (host, JSON) entries, and the digests of the last rest and endpoints blobs.
 * Every hit is checked exactly (identity or string equality), so the output never depends on it.
 */
const immutableParts = new WeakSet<object>()
const partTexts = new WeakMap<object, string>()
let lastBucketCount = 0
const lastBuckets = new Map<number, { entries: HostEntry[]; text: string; digest: string }>()
const lastTexts = new Map<string, { text: string; digest: string }>()

/** Declares that `part` is never mutated again, so its JSON may be remembered. */
export function markImmutablePart(part: object): void {
  immutableParts.add(part)
}

const partNames = new WeakMap<object, string[]>()

function partServiceNames(part: unknown): string[] {
  if (typeof part !== 'object' || part === null || !immutableParts.has(part)) return serviceNames(part)
  let names = partNames.get(part)
  if (names === undefined) partNames.set(part, (names = serviceNames(part)))
  return names
}

function partJson(part: unknown): string {
  if (typeof part !== 'object' || part === null || !immutableParts.has(part)) return JSON.stringify(part)
  let text = partTexts.get(part)
  if (text === undefined) partTexts.set(part, (text = JSON.stringify(part)))
  return text
}

/** The digest of the rest or an endpoints blob, not recomputed when its text is the last one's. */
async function digestOf(slot: string, text: string): Promise<string> {
  const last = lastTexts.get(slot)
  if (last !== undefined && last.text === text) return last.digest
  const digest = await blobDigest(text)
  lastTexts.set(slot, { text, digest })
  return digest
}

function sameEntries(a: HostEntry[], b: HostEntry[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i]![0] !== b[i]![0] || a[i]![1] !== b[i]![1]) return false
  return true
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}
