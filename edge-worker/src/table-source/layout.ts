// The KV layout of the edge table, shared by the publisher (control plane) and the loader (edge).
// Runtime-neutral: no `node:` imports, no Workers-only APIs.
//
// One small signed pointer names immutable, content-addressed blobs, so a reader never sees half a
// table and a flip of the pointer is the only write that needs Workers KV's one-write-per-second
// budget. See docs/table.md.

/** Bump when the pointer or blob shapes below change; the edge refuses other versions. */
export const LAYOUT_VERSION = 1

export const POINTER_KEY = 'table/pointer'
export const BLOB_PREFIX = 'table/blob/'

/** JWS `typ` of the pointer, so a token signed for something else is never taken for a table. */
export const POINTER_TYP = 'traefik-edge-table+jws'

/** Workers KV refuses values above 25 MiB. */
export const MAX_VALUE_BYTES = 25 * 1024 * 1024

/** Workers KV bulk reads take at most 100 keys. */
export const MAX_BULK_GET = 100

/** The signed payload of the pointer. Digests are SHA-256 hex of the blob's stored UTF-8 text. */
export interface TableManifest {
  layout: typeof LAYOUT_VERSION
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
  /** Servers and their health: versioned apart from routes because they change far more often. */
  endpoints: { version: string }
}

/** The stored text of one routes bucket blob. */
export interface BucketBlob<Part = unknown> {
  hosts: Record<string, Part>
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
  const h = normalizeHost(host)
  let hash = 0x811c9dc5
  for (let i = 0; i < h.length; i++) {
    hash ^= h.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % bucketCount
}

const DIGEST = /^[0-9a-f]{64}$/

/** Checks the shape of a verified pointer payload; returns the manifest or why it is refused. */
export function parseManifest(payload: unknown): TableManifest | { error: string } {
  if (typeof payload !== 'object' || payload === null) return { error: 'pointer payload is not an object' }
  const m = payload as Record<string, unknown>
  if (m.layout !== LAYOUT_VERSION) {
    return { error: `unknown table layout version ${JSON.stringify(m.layout)} (expected ${LAYOUT_VERSION})` }
  }
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
  if (!endpoints || !isDigest(endpoints.version)) return { error: 'pointer has no endpoints digest' }
  return m as unknown as TableManifest
}

function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value)
}

/** SHA-256 hex of the UTF-8 text, with WebCrypto (present in workerd and Node). */
export async function sha256Hex(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  let hex = ''
  for (const b of bytes) hex += b.toString(16).padStart(2, '0')
  return hex
}
