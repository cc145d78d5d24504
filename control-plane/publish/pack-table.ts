// Pure step of publishing: turns the edge table (already split by host) into content-addressed
// blobs and the manifest that names them. Deterministic: the same table gives the same digests,
// so an unchanged table costs no write.
import {
  LAYOUT_VERSION,
  MAX_VALUE_BYTES,
  bucketOf,
  normalizeHost,
  sha256Hex,
  type TableManifest,
} from '../../edge-worker/src/table-source/layout.ts'

/** The edge table as splitTableByHost gives it, plus its endpoints and schema version. */
export interface EdgeTableInput<Part = unknown, Endpoints = unknown> {
  schema: string | number
  routes: { rest: Part; hosts: Record<string, Part> | Map<string, Part> }
  endpoints: Endpoints
}

export interface PackOptions {
  /** Below this many bytes of host parts, everything goes in one bucket. */
  shardThresholdBytes?: number
  /** Aimed-for size of one bucket blob once sharded. */
  bucketTargetBytes?: number
  /** Upper bound on buckets: the pointer lists one digest per bucket. */
  maxBuckets?: number
}

export interface PackedTable {
  manifest: Omit<TableManifest, 'issuedAt'>
  /** digest -> stored text. */
  blobs: Map<string, string>
}

export const PACK_DEFAULTS: Required<PackOptions> = {
  shardThresholdBytes: 256 * 1024,
  bucketTargetBytes: 128 * 1024,
  maxBuckets: 1024,
}

export async function packTable(input: EdgeTableInput, options: PackOptions = {}): Promise<PackedTable> {
  const opts = { ...PACK_DEFAULTS, ...options }
  const hosts = hostParts(input.routes.hosts)
  const total = hosts.reduce((sum, [, text]) => sum + text.length, 0)
  const bucketCount =
    total <= opts.shardThresholdBytes
      ? 1
      : Math.min(opts.maxBuckets, nextPowerOfTwo(Math.ceil(total / opts.bucketTargetBytes)))

  const grouped: Array<Array<[string, string]>> = Array.from({ length: bucketCount }, () => [])
  for (const entry of hosts) grouped[bucketOf(entry[0], bucketCount)]!.push(entry)

  const blobs = new Map<string, string>()
  const add = async (what: string, text: string): Promise<string> => {
    if (text.length > MAX_VALUE_BYTES / 4 && new TextEncoder().encode(text).length > MAX_VALUE_BYTES) {
      throw new Error(`${what} is larger than Workers KV's 25 MiB value limit`)
    }
    const digest = await sha256Hex(text)
    blobs.set(digest, text)
    return digest
  }

  const rest = await add('the host-independent routes part', JSON.stringify(input.routes.rest))
  const buckets: Array<string | null> = []
  for (const [i, entries] of grouped.entries()) {
    // Parts are already JSON: splice them in rather than parse and re-serialise.
    const body = entries.map(([host, text]) => `${JSON.stringify(host)}:${text}`).join(',')
    buckets.push(entries.length === 0 ? null : await add(`routes bucket ${i}`, `{"hosts":{${body}}}`))
  }
  const endpoints = await add('the endpoints table', JSON.stringify(input.endpoints))
  const version = await sha256Hex([rest, ...buckets].join(','))
  return {
    manifest: { layout: LAYOUT_VERSION, schema: input.schema, routes: { version, rest, buckets }, endpoints: { version: endpoints } },
    blobs,
  }
}

/** Normalized, sorted (host, JSON) pairs; hosts differing only in case or port share one key. */
function hostParts(hosts: EdgeTableInput['routes']['hosts']): Array<[string, string]> {
  const entries = hosts instanceof Map ? [...hosts] : Object.entries(hosts)
  const out = new Map<string, string>()
  for (const [host, part] of entries) {
    const key = normalizeHost(host)
    if (out.has(key)) throw new Error(`host ${JSON.stringify(host)} appears twice in the split table`)
    out.set(key, JSON.stringify(part))
  }
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

