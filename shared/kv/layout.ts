// The KV layout of the edge table, shared by the publisher (control plane) and the loader (edge).
// Runtime-neutral: no `node:` imports, no Workers-only APIs.
//
// One small signed pointer names immutable, content-addressed blobs, so a reader never sees half a
// table and a flip of the pointer is the only write that needs Workers KV's one-write-per-second
// budget. See docs/table.md.

/**
 * The layout the publisher writes. Bump when the pointer or blob shapes below change; the edge
 * reads this one and the one before it (so it can be deployed before the control plane), and
 * refuses any other.
 * 2: endpoints sharded like the routes (`endpoints.rest`, `endpoints.buckets`), base64url digests.
 * 1: one endpoints blob (`endpoints.version` names it), hex digests; read as layout 2 with that
 *    blob as `endpoints.rest` and one empty shard.
 */
export const LAYOUT_VERSION = 2

export const POINTER_KEY = 'table/pointer'
export const BLOB_PREFIX = 'table/blob/'

/** JWS `typ` of the pointer, so a token signed for something else is never taken for a table. */
export const POINTER_TYP = 'traefik-edge-table+jws'

/** Workers KV refuses values above 25 MiB. */
export const MAX_VALUE_BYTES = 25 * 1024 * 1024

/** Workers KV bulk reads take at most 100 keys. */
export const MAX_BULK_GET = 100

/** The signed payload of the pointer. Digests are SHA-256 (base64url, 43 characters) of the blob's stored UTF-8 text. */
export interface TableManifest {
  layout: typeof LAYOUT_VERSION | 1
  /** The edge table's own schema version (TABLE_SCHEMA_VERSION of shared/table). */
  schema: string | number
  /** Milliseconds since the epoch; strictly increasing per publisher, so a replayed older pointer is refused. */
  issuedAt: number
  routes: {
    /** Digest over `rest` and `buckets`: changes exactly when any routes blob does. */
    version: string
    /** Routers that a host alone cannot select: host regexps, host-less rules. Every request needs it. */
    rest: string
    /** Per-host parts grouped by `bucketOf(host, buckets.length)`; null where a bucket is empty. */
    buckets: Array<string | null>
  }
  /**
   * Servers and their health: in blobs of their own because they change far more often than routes.
   * `rest`: the servers of the services `routes.rest` references. `buckets[j]`: those of the
   * services the host parts of the routes buckets `i` with `i % buckets.length == j` reference,
   * less those already in `rest` (null where those buckets are empty). `buckets.length` divides
   * `routes.buckets.length` (both powers of two), so shard j is `bucketOf(host, buckets.length)`.
   */
  endpoints: {
    /** Digest over `rest` and `buckets`: changes exactly when any endpoints blob does. */
    version: string
    rest: string
    buckets: Array<string | null>
  }
  /**
   * Blobs the table names from inside (an internal service's document, by digest): kept as long as
   * the pointer names them. Absent when there are none; edges that do not know the field ignore it.
   */
  documents?: string[]
}

/** The stored text of one routes bucket blob. */
export interface BucketBlob<Part = unknown> {
  hosts: Record<string, Part>
}

/**
 * The stored text of one endpoints blob: the endpoints table's own fields (its schema) and the
 * `services` it carries, by service name.
 */
export interface EndpointsBlob<Servers = unknown> {
  services: Record<string, Servers>
  [field: string]: unknown
}

/** The keys of a routes part's `services` map: the services whose servers it needs. */
export function serviceNames(part: unknown): string[] {
  const services = (part as { services?: unknown } | null)?.services
  return typeof services === 'object' && services !== null ? Object.keys(services) : []
}

/** The endpoints shard that holds the servers of routes bucket `bucket`'s host parts. */
export function endpointsShardOf(bucket: number, manifest: Pick<TableManifest, 'endpoints'>): number {
  return bucket % manifest.endpoints.buckets.length
}

export function blobKey(digest: string): string {
  return BLOB_PREFIX + digest
}

/** Lower case, without port or trailing dot: the form hosts are bucketed and looked up in. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[')) {
    const end = h.indexOf(']')
    h = end === -1 ? h : h.slice(0, end + 1)
  } else {
    const colon = h.indexOf(':')
    // More than one colon is a bare IPv6 address, which has no port.
    if (colon !== -1 && h.indexOf(':', colon + 1) === -1) h = h.slice(0, colon)
  }
  return h.endsWith('.') ? h.slice(0, -1) : h
}

/** FNV-1a (32 bit) of the normalized host, modulo the bucket count. Stable across runtimes. */
export function bucketOf(host: string, bucketCount: number): number {
  return bucketOfNormalized(normalizeHost(host), bucketCount)
}

/** bucketOf for a host already through normalizeHost (the request path normalizes once). */
export function bucketOfNormalized(h: string, bucketCount: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < h.length; i++) {
    hash ^= h.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % bucketCount
}

const DIGESTS: Record<number, RegExp> = { 1: /^[0-9a-f]{64}$/, 2: /^[A-Za-z0-9_-]{43}$/ }

/** Checks the shape of a verified pointer payload; returns the manifest or why it is refused. */
export function parseManifest(payload: unknown): TableManifest | { error: string } {
  if (typeof payload !== 'object' || payload === null) return { error: 'pointer payload is not an object' }
  const m = payload as Record<string, unknown>
  const digest = DIGESTS[m.layout as number]
  if (digest === undefined || (m.layout !== 1 && m.layout !== LAYOUT_VERSION)) {
    return { error: `unknown table layout version ${JSON.stringify(m.layout)} (expected ${LAYOUT_VERSION})` }
  }
  const isDigest = (value: unknown): value is string => typeof value === 'string' && digest.test(value)
  if (typeof m.schema !== 'string' && typeof m.schema !== 'number') return { error: 'pointer has no schema version' }
  if (typeof m.issuedAt !== 'number' || !Number.isFinite(m.issuedAt)) return { error: 'pointer has no issuedAt' }
  const routes = m.routes as Record<string, unknown> | undefined
  const endpoints = m.endpoints as Record<string, unknown> | undefined
  if (!routes || typeof routes.version !== 'string' || !isDigest(routes.rest)) {
    return { error: 'pointer has no routes digests' }
  }
  const buckets = routes.buckets
  if (!Array.isArray(buckets) || buckets.length === 0 || !buckets.every((b) => b === null || isDigest(b))) {
    return { error: 'pointer has malformed routes buckets' }
  }
  if (m.layout === 1) {
    if (!endpoints || !isDigest(endpoints.version)) return { error: 'pointer has no endpoints digest' }
    return { ...(m as unknown as TableManifest), endpoints: { version: endpoints.version, rest: endpoints.version, buckets: [null] } }
  }
  if (!endpoints || typeof endpoints.version !== 'string' || !isDigest(endpoints.rest)) {
    return { error: 'pointer has no endpoints digests' }
  }
  const shards = endpoints.buckets
  if (!Array.isArray(shards) || shards.length === 0 || buckets.length % shards.length !== 0 || !shards.every((b) => b === null || isDigest(b))) {
    return { error: 'pointer has malformed endpoints buckets' }
  }
  return m as unknown as TableManifest
}

/** SHA-256 hex of the UTF-8 text, with WebCrypto (present in workerd and Node). */
export async function sha256Hex(text: string): Promise<string> {
  let hex = ''
  for (const b of await sha256(text)) hex += b.toString(16).padStart(2, '0')
  return hex
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * A blob's digest: SHA-256 of its UTF-8 text in unpadded base64url. Not hex: the pointer lists
 * one per routes bucket and one per endpoints shard, and 43 characters rather than 64 keep it
 * about 70 KB at 1024 + 512 of them.
 */
export async function blobDigest(text: string): Promise<string> {
  const b = await sha256(text)
  let out = ''
  for (let i = 0; i < 30; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!
  }
  const n = (b[30]! << 8) | b[31]!
  return out + B64URL[n >> 10]! + B64URL[(n >> 4) & 63]! + B64URL[(n << 2) & 63]!
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
}
