// One routes bucket of a loaded table version, with its endpoints shard, as an isolate keeps it.
//
// Both blobs stay verified but deflated between uses: an isolate prepares only the hosts it is
// asked for, and at 100k routers the texts kept for the other hosts of the buckets it touched
// were most of its heap (bench/proxy/heap.ts). The first request for another host of the bucket
// inflates and parses them again (about 3 ms for a 128 KB bucket) and keeps its part and the
// servers of the services it references.
import { serviceNames, type BucketBlob, type EndpointsBlob } from '../../../shared/kv/layout.ts'

/**
 * A verified blob by its digest (null: an empty bucket or shard): its text while the request that
 * read it uses it, then deflated. Shared by the buckets of one endpoints shard, so deflated in place.
 */
export interface Kept {
  readonly digest: string | null
  text?: string
  deflated?: Uint8Array
}

export const EMPTY: Kept = { digest: null, text: '' }

export interface Bucket {
  routes: Kept
  /** Every host of the bucket (normalized): a host outside it never needs the texts. */
  hosts: HostHashes
  /** The parts of the hosts asked for so far. */
  parts: Map<string, unknown>
  shard: Kept
  /** The shard's fields with `services` reduced to those the parts reference; null until one does. */
  endpoints: EndpointsBlob | null
}

/** A bucket of freshly read texts, with the parts of `hosts` (normalized). */
export async function openBucket(routes: Kept, shard: Kept, hosts: readonly string[]): Promise<Bucket> {
  const [text, shardText] = await Promise.all([textOf(routes), textOf(shard)])
  const blob = routes.digest === null ? null : (JSON.parse(text) as BucketBlob)
  const bucket: Bucket = { routes, hosts: hostHashes(blob ? Object.keys(blob.hosts) : []), parts: new Map(), shard, endpoints: null }
  take(bucket, hosts, blob, shardText)
  return bucket
}

/** The same routes bucket over another endpoints shard: its parts kept, their servers picked again. */
export async function withShard(bucket: Bucket, shard: Kept): Promise<Bucket> {
  const shardText = await textOf(shard)
  const next: Bucket = { ...bucket, parts: new Map(bucket.parts), shard, endpoints: null }
  pick(next, [...next.parts.values()], shardText)
  return next
}

/**
 * Adds the parts of `hosts` (normalized) the bucket has and does not hold yet; false if none.
 * Every await comes before the bucket changes: a request that finds a host's part in the bucket
 * finds it in the view prepared in the same turn (see KvTableSource#viewFor).
 */
export async function addParts(bucket: Bucket, hosts: readonly string[]): Promise<boolean> {
  if (!hosts.some((h) => missingPart(bucket, h))) return false
  const [text, shardText] = await Promise.all([textOf(bucket.routes), textOf(bucket.shard)])
  return take(bucket, hosts, JSON.parse(text) as BucketBlob, shardText)
}

/** Deflates the bucket's texts once its view is prepared (see Kept). */
export async function deflateTexts(bucket: Bucket): Promise<void> {
  await Promise.all([deflate(bucket.routes), deflate(bucket.shard)])
}

function take(bucket: Bucket, hosts: readonly string[], blob: BucketBlob | null, shardText: string): boolean {
  const added: unknown[] = []
  for (const h of hosts) {
    if (!blob || !missingPart(bucket, h)) continue
    if (!Object.hasOwn(blob.hosts, h)) {
      bucket.hosts.absent.add(h)
      continue
    }
    const part = blob.hosts[h]
    bucket.parts.set(h, part)
    added.push(part)
  }
  pick(bucket, added, shardText)
  return added.length > 0
}

/** Copies the servers `parts` need from the shard's text (parsed only when one is needed). */
function pick(bucket: Bucket, parts: unknown[], shardText: string): void {
  const names = parts.flatMap(serviceNames)
  if (bucket.shard.digest === null || names.length === 0) return
  const shard = JSON.parse(shardText) as EndpointsBlob
  for (const name of names) {
    if (!Object.hasOwn(shard.services, name)) continue
    // A null prototype: a service named `__proto__` is a key like any other.
    bucket.endpoints ??= { ...shard, services: Object.create(null) }
    bucket.endpoints.services[name] = shard.services[name]
  }
}

/** The host has routers in the bucket that its view does not hold yet. */
export function missingPart(bucket: Bucket, normalizedHost: string): boolean {
  return !bucket.parts.has(normalizedHost) && mayHave(bucket.hosts, normalizedHost)
}

/**
 * The bucket's hosts as sorted 32-bit hashes: one flat array the collector does not trace, where
 * a Set of the host names was 6 MB of small strings for the 90k hosts of the buckets the 100k-router
 * bench touches. A host another hashes alike to (about one in 20 million per bucket) costs one
 * parse of the bucket and is then remembered in `absent`.
 */
interface HostHashes {
  sorted: Uint32Array
  absent: Set<string>
}

function hostHashes(hosts: string[]): HostHashes {
  return { sorted: Uint32Array.from(hosts, hostHash).sort(), absent: new Set() }
}

function mayHave(hashes: HostHashes, host: string): boolean {
  const { sorted } = hashes
  if (sorted.length === 0) return false
  const h = hostHash(host)
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const v = sorted[mid]!
    if (v === h) return !hashes.absent.has(host)
    if (v < h) lo = mid + 1
    else hi = mid - 1
  }
  return false
}

/** A 32-bit string hash unrelated to bucketOf's FNV-1a (whose low bits are the bucket index here). */
export function hostHash(host: string): number {
  let h = 0x9747b28c
  for (let i = 0; i < host.length; i++) {
    h = Math.imul(h ^ host.charCodeAt(i), 0x5bd1e995)
    h ^= h >>> 15
  }
  return h >>> 0
}

async function textOf(kept: Kept): Promise<string> {
  if (kept.text !== undefined) return kept.text
  return new Response(new Blob([kept.deflated!]).stream().pipeThrough(new DecompressionStream('deflate-raw'))).text()
}

/** Replaces the text by its deflated bytes (a tenth of its size or less for table JSON). */
async function deflate(kept: Kept): Promise<void> {
  const text = kept.text
  if (text === undefined || kept.digest === null) return
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'))
  const deflated = new Uint8Array(await new Response(stream).arrayBuffer())
  if (kept.text === text) {
    kept.deflated = deflated
    delete kept.text
  }
}
