// The edge's route table, read from the ROUTES KV namespace (layout in ./layout.ts, docs/table.md).
//
// Per isolate: the last good version stays in memory with one prepared view per routes bucket.
// A bucket is kept as its verified text, and a view holds the parts of the hosts asked for so far
// (a new host of the bucket parses the text again for its part and rebuilds the view, keeping the
// prepared routers it had): at 100k routers, parsing and preparing every host of every bucket
// touched was most of the isolate's heap (bench/proxy/heap.ts), for hosts no request named.
// A request never waits on KV when a table is loaded: at most every `refreshIntervalMs` a request
// starts a check of the pointer in the background (ctx.waitUntil), and a newer, verified version
// replaces the old one whole. Unsigned, tampered, truncated, replayed or unknown-version tables are
// refused and the last good one keeps serving. Only a cold isolate (or a request for a bucket not
// loaded yet) waits for KV: one bulk read of the few blobs it needs.
import {
  MAX_BULK_GET,
  POINTER_KEY,
  blobKey,
  bucketOf,
  normalizeHost,
  type BucketBlob,
  type TableManifest,
} from './layout.ts'
import { verifyBlob, type PointerVerifier } from './verify.ts'
import type { WaitUntil } from '../../../shared/table/source.ts'

export interface KvTableSourceOptions<View> {
  kv: Pick<KVNamespace, 'get'>
  verify: PointerVerifier
  /** The table schema version this edge understands (TABLE_SCHEMA_VERSION). */
  schema: string | number
  /**
   * Builds the request-path structure from the routes parts a host needs and the endpoints;
   * `previous` is the bucket's view being grown by one host (same version, same part objects).
   */
  prepare: (parts: unknown[], endpoints: unknown, previous?: View) => View
  /** How often a request may start a look for a newer pointer. Default 5000 ms. */
  refreshIntervalMs?: number
  /** How long a request waits for a refresh it started before using the table it has. Default 0. */
  refreshWaitMs?: number
  /** How often an isolate without any table tries again. Default 1000 ms. */
  retryMs?: number
  /**
   * A faster source of the current pointer than KV (the TableBeacon Durable Object): asked every
   * `intervalMs` (default 2000), while KV's pointer is still read every `refreshIntervalMs` in
   * case the beacon is behind or down. The newest verified pointer of the two wins.
   */
  beacon?: { read: () => Promise<string | null>; intervalMs?: number }
  now?: () => number
  log?: (message: string) => void
}

export interface TableSourceState {
  version: string | null
  issuedAt: number | null
  lastError: string | null
}

interface Loaded<View> {
  pointer: string
  manifest: TableManifest
  rest: unknown
  endpoints: unknown
  buckets: Map<number, Bucket>
  views: Map<number, View>
}

/** One routes bucket: its verified text, its hosts, and the parts of those asked for so far. */
interface Bucket {
  text: string
  hosts: Set<string>
  parts: Map<string, unknown>
}

function openBucket(text: string | null): Bucket {
  const hosts = text === null ? [] : Object.keys((JSON.parse(text) as BucketBlob).hosts)
  return { text: text ?? '', hosts: new Set(hosts), parts: new Map() }
}

/** Adds the parts of `hosts` (normalized, in the bucket) with one parse of the bucket's text. */
function addParts(bucket: Bucket, hosts: Iterable<string>): void {
  let blob: BucketBlob | null = null
  for (const h of hosts) {
    if (!bucket.hosts.has(h) || bucket.parts.has(h)) continue
    blob ??= JSON.parse(bucket.text) as BucketBlob
    bucket.parts.set(h, blob.hosts[h])
  }
}

/** The host has routers in the bucket that its view does not hold yet. */
function missingPart(bucket: Bucket, host: string): boolean {
  if (bucket.hosts.size === 0) return false
  const h = normalizeHost(host)
  return bucket.hosts.has(h) && !bucket.parts.has(h)
}

export class KvTableSource<View> {
  readonly #o: Required<Omit<KvTableSourceOptions<View>, 'kv' | 'verify' | 'prepare' | 'schema' | 'beacon'>> &
    KvTableSourceOptions<View>
  #good: Loaded<View> | null = null
  #lastCheck = -Infinity
  #lastKvCheck = -Infinity
  #beaconDown = false
  #refreshing: Promise<void> | null = null
  #refused: string | null = null
  #lastError: string | null = null

  constructor(options: KvTableSourceOptions<View>) {
    this.#o = {
      refreshIntervalMs: 5000,
      refreshWaitMs: 0,
      retryMs: 1000,
      now: Date.now,
      log: (m) => console.error(m),
      ...options,
    }
  }

  state(): TableSourceState {
    const m = this.#good?.manifest
    return { version: m?.routes.version ?? null, issuedAt: m?.issuedAt ?? null, lastError: this.#lastError }
  }

  /** The prepared view that serves `host`, or why there is none (the app answers 503). */
  async forHost(host: string, ctx: WaitUntil): Promise<View | { error: string }> {
    const o = this.#o
    const sinceCheck = o.now() - this.#lastCheck
    const interval = o.beacon ? Math.min(o.beacon.intervalMs ?? 2000, o.refreshIntervalMs) : o.refreshIntervalMs
    if (!this.#refreshing && sinceCheck >= (this.#good ? interval : o.retryMs)) {
      const run = this.#refresh(host).finally(() => (this.#refreshing = null))
      this.#refreshing = run
      ctx.waitUntil(run)
    }
    if (!this.#good && this.#refreshing) await this.#refreshing
    else if (this.#refreshing && o.refreshWaitMs > 0) {
      await Promise.race([this.#refreshing, new Promise((r) => setTimeout(r, o.refreshWaitMs))])
    }
    const good = this.#good
    if (!good) return { error: `no route table: ${this.#lastError ?? 'none loaded yet'}` }
    const index = bucketOf(host, good.manifest.routes.buckets.length)
    const view = good.views.get(index)
    if (view !== undefined && !missingPart(good.buckets.get(index)!, host)) return view
    try {
      return await this.#viewFor(good, index, [normalizeHost(host)])
    } catch (err) {
      // A missing blob most likely means the pointer moved on and the old version was collected.
      this.#lastCheck = -Infinity
      return { error: `route table bucket ${index} unavailable: ${(err as Error).message}` }
    }
  }

  async #viewFor(loaded: Loaded<View>, index: number, hosts: Iterable<string>): Promise<View> {
    let bucket = loaded.buckets.get(index)
    if (bucket === undefined) {
      const digest = loaded.manifest.routes.buckets[index] ?? null
      const [text] = await this.#readTexts(digest ? [digest] : [])
      // Another request may have opened it while this one read.
      bucket = loaded.buckets.get(index) ?? openBucket(text ?? null)
      loaded.buckets.set(index, bucket)
    }
    const before = bucket.parts.size
    addParts(bucket, hosts)
    const previous = loaded.views.get(index)
    if (previous !== undefined && bucket.parts.size === before) return previous
    const view = this.#o.prepare([loaded.rest, ...bucket.parts.values()], loaded.endpoints, previous)
    loaded.views.set(index, view)
    return view
  }

  async #refresh(hint: string): Promise<void> {
    const o = this.#o
    this.#lastCheck = o.now()
    try {
      const good = this.#good
      const reads: Array<Promise<string | null>> = []
      if (o.beacon) reads.push(this.#readBeacon(o.beacon.read))
      if (!o.beacon || !good || o.now() - this.#lastKvCheck >= o.refreshIntervalMs) {
        this.#lastKvCheck = o.now()
        reads.push(o.kv.get(POINTER_KEY, 'text'))
      }
      const seen = (await Promise.all(reads)).filter((p): p is string => p !== null)
      if (seen.length === 0) {
        // A vanished pointer is an operator's or a store's problem: keep serving what we have.
        if (!good) this.#lastError = 'nothing published in the ROUTES namespace yet'
        return
      }
      const pointer = newest(seen.filter((p) => p !== good?.pointer && p !== this.#refused))
      if (pointer === null) return
      const manifest = await o.verify(pointer)
      const refusal =
        'error' in manifest ? manifest.error : refusalOf(manifest, o.schema, good?.manifest ?? null)
      if (refusal !== null || 'error' in manifest) {
        this.#refused = pointer
        this.#fail(refusal ?? 'refused')
        return
      }
      try {
        this.#good = await this.#load(pointer, manifest, good, hint)
        this.#lastError = null
      } catch (err) {
        // A missing blob may still be on its way (KV propagates slowly): look again next time.
        if (!(err instanceof MissingBlob)) this.#refused = pointer
        throw err
      }
    } catch (err) {
      this.#fail((err as Error).message)
    }
  }

  /** The beacon's pointer; null (KV alone decides) when it is unreachable, said once per outage. */
  async #readBeacon(read: () => Promise<string | null>): Promise<string | null> {
    try {
      const pointer = await read()
      this.#beaconDown = false
      return pointer
    } catch (err) {
      if (!this.#beaconDown) this.#o.log(`[table-source] version beacon unreachable, reading KV's pointer only: ${(err as Error).message}`)
      this.#beaconDown = true
      return null
    }
  }

  #fail(reason: string): void {
    this.#lastError = reason
    this.#o.log(`[table-source] refused a table, ${this.#good ? 'keeping the last good one' : 'no table yet'}: ${reason}`)
  }

  /** Reads and verifies a whole version before it replaces the old one, reusing unchanged blobs. */
  async #load(
    pointer: string,
    manifest: TableManifest,
    old: Loaded<View> | null,
    hint: string,
  ): Promise<Loaded<View>> {
    const oldM = old?.manifest
    const sameShape = oldM?.routes.buckets.length === manifest.routes.buckets.length
    // The buckets in use stay warm; a cold isolate reads the requesting host's bucket in the same
    // bulk read as the rest of the version.
    const keep = new Set(sameShape ? old!.buckets.keys() : [])
    keep.add(bucketOf(hint, manifest.routes.buckets.length))
    const reuse = new Map<string, unknown>()
    const reuseBuckets = new Map<string, Bucket>()
    if (old && oldM) {
      reuse.set(oldM.routes.rest, old.rest)
      reuse.set(oldM.endpoints.version, old.endpoints)
      for (const [i, b] of old.buckets) if (oldM.routes.buckets[i]) reuseBuckets.set(oldM.routes.buckets[i]!, b)
    }
    const wanted = [manifest.routes.rest, manifest.endpoints.version].filter((d) => !reuse.has(d))
    for (const i of keep) if (manifest.routes.buckets[i] && !reuseBuckets.has(manifest.routes.buckets[i]!)) wanted.push(manifest.routes.buckets[i]!)
    const fresh = [...new Set(wanted)]
    const texts = await this.#readTexts(fresh)
    fresh.forEach((d, i) => {
      if (d === manifest.routes.rest || d === manifest.endpoints.version) reuse.set(d, JSON.parse(texts[i]!))
      else reuseBuckets.set(d, openBucket(texts[i]!))
    })

    const loaded: Loaded<View> = {
      pointer,
      manifest,
      rest: reuse.get(manifest.routes.rest),
      endpoints: reuse.get(manifest.endpoints.version),
      buckets: new Map(),
      views: new Map(),
    }
    const unchanged =
      old !== null && oldM!.routes.rest === manifest.routes.rest && oldM!.endpoints.version === manifest.endpoints.version
    for (const i of keep) {
      const digest = manifest.routes.buckets[i]
      const bucket = digest ? reuseBuckets.get(digest)! : openBucket(null)
      loaded.buckets.set(i, bucket)
      const oldView = old?.views.get(i)
      if (unchanged && sameShape && oldView !== undefined && oldM!.routes.buckets[i] === digest) {
        loaded.views.set(i, oldView)
      } else {
        // The hosts the old version served from this bucket stay warm, and the requesting one.
        const seen = sameShape ? [...(old?.buckets.get(i)?.parts.keys() ?? [])] : []
        await this.#viewFor(loaded, i, [...seen, normalizeHost(hint)])
      }
    }
    return loaded
  }

  /** Bulk-reads blobs (<= 100 keys a call) and checks each against its digest. */
  async #readTexts(digests: string[]): Promise<string[]> {
    const texts = new Map<string, string | null>()
    for (let i = 0; i < digests.length; i += MAX_BULK_GET) {
      const keys = digests.slice(i, i + MAX_BULK_GET).map(blobKey)
      for (const [k, v] of await this.#o.kv.get(keys, 'text')) texts.set(k, v)
    }
    return Promise.all(
      digests.map((d) => {
        const text = texts.get(blobKey(d))
        if (text == null) throw new MissingBlob(`blob ${d.slice(0, 12)} named by the pointer is missing`)
        return verifyBlob(text, d, 'table')
      }),
    )
  }
}

/** The pointer whose (not yet verified) issuedAt is the latest; verification comes after. */
function newest(pointers: string[]): string | null {
  let best: string | null = null
  let bestAt = -Infinity
  for (const p of pointers) {
    const at = peekIssuedAt(p)
    if (best === null || at > bestAt) {
      best = p
      bestAt = at
    }
  }
  return best
}

function peekIssuedAt(jws: string): number {
  try {
    const payload = jws.split('.')[1] ?? ''
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const at = (JSON.parse(json) as { issuedAt?: unknown }).issuedAt
    return typeof at === 'number' ? at : -Infinity
  } catch {
    return -Infinity
  }
}

function refusalOf(m: TableManifest, schema: string | number, inUse: TableManifest | null): string | null {
  if (m.schema !== schema) {
    return `table schema ${JSON.stringify(m.schema)} is not ${JSON.stringify(schema)}, the one this edge reads`
  }
  if (inUse && m.issuedAt < inUse.issuedAt) return 'pointer is older than the table in use (replayed?)'
  return null
}

class MissingBlob extends Error {}
