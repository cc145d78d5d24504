// The edge's route table, read from the ROUTES KV namespace (layout in ./layout.ts, docs/table.md).
//
// Per isolate: the last good version stays in memory with one prepared view per routes bucket.
// A bucket keeps its routes blob and its endpoints shard as verified, deflated texts (./bucket.ts),
// and a view holds the parts of the hosts asked for so far with their services' servers (a new
// host of the bucket inflates and parses the texts again for its part and rebuilds the view,
// keeping the prepared routers it had): at 100k routers, the other hosts of every bucket touched
// were most of the isolate's heap (bench/proxy/heap.ts), for hosts no request named.
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
  bucketOfNormalized,
  endpointsShardOf,
  normalizeHost,
  type TableManifest,
} from '../../../shared/kv/layout.ts'
import { EMPTY, addParts, deflateTexts, missingPart, openBucket, withShard, type Bucket, type Kept } from './bucket.ts'
import { verifyBlob, type PointerVerifier } from './verify.ts'
import type { WaitUntil } from '../../../shared/table/source.ts'
import { perHost } from '../../../shared/http/per-host.ts'

// Per Host, not per request (a pure function of the Host string, whatever the table).
const normalizedHost = perHost(normalizeHost)

export interface KvTableSourceOptions<View> {
  kv: Pick<KVNamespace, 'get'>
  verify: PointerVerifier
  /** The table schema version this edge understands (TABLE_SCHEMA_VERSION). */
  schema: string | number
  /**
   * Builds the request-path structure from the routes parts a host needs and the endpoints parts
   * with their servers (`rest`'s, then the bucket's); `previous` is the bucket's view being grown
   * by one host (same version, same part objects).
   */
  prepare: (parts: unknown[], endpoints: unknown[], previous?: View) => View
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
  /**
   * How far the control plane's clock may be ahead of this one: a pointer is refused once
   * `expiresAt + clockSkewMs` has passed. Default 5 minutes.
   */
  clockSkewMs?: number
  /** Pointers issued before this (ms since the epoch) are refused: the operator's floor against replays. */
  minIssuedAt?: number
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
  /** The servers of the services `rest` references (layout: `endpoints.rest`). */
  restEndpoints: unknown
  buckets: Map<number, Bucket>
  /**
   * Per bucket, its view and how many parts it was prepared with. A bucket may be shared with the
   * version being replaced, which can still grow it: a view short of the bucket's parts is
   * prepared again, never taken to serve a host whose part it lacks.
   */
  views: Map<number, { view: View; parts: number }>
}

export class KvTableSource<View> {
  readonly #o: Required<Omit<KvTableSourceOptions<View>, 'kv' | 'verify' | 'prepare' | 'schema' | 'beacon' | 'minIssuedAt'>> & KvTableSourceOptions<View>
  #good: Loaded<View> | null = null
  #lastCheck = -Infinity
  #lastKvCheck = -Infinity
  #beaconDown = false
  #refreshing: Promise<void> | null = null
  /**
   * Pointers refused, and when each may be looked at again: a tampered blob may be repaired, a
   * blob may finish propagating, so a refusal is retried with backoff (1 s, doubling to a minute)
   * rather than for good. Only the last few are kept.
   */
  readonly #refused = new Map<string, { retryAt: number; delayMs: number }>()
  #lastError: string | null = null
  /** The current version's endpoints, all shards, when asked (Traefik's API: serverStatus). */
  #allEndpoints: { version: string; parts: Promise<unknown[]> } | null = null
  /** The last document read (a blob the table's internal services name). */
  #document: { digest: string; text: Promise<string> } | null = null

  constructor(options: KvTableSourceOptions<View>) {
    this.#o = {
      refreshIntervalMs: 5000,
      refreshWaitMs: 0,
      retryMs: 1000,
      clockSkewMs: 5 * 60_000,
      now: Date.now,
      log: (m) => console.error(m),
      ...options,
    }
  }

  state(): TableSourceState {
    const m = this.#good?.manifest
    return { version: m?.routes.version ?? null, issuedAt: m?.issuedAt ?? null, lastError: this.#lastError }
  }

  /**
   * Every endpoints part of the current version (rest and all shards), for the internal services
   * that show every server's health; read once per version, verified like the rest.
   */
  allEndpoints(): Promise<unknown[]> {
    const m = this.#good?.manifest
    if (!m) return Promise.resolve([])
    if (this.#allEndpoints?.version !== m.endpoints.version) {
      const digests = [...new Set([m.endpoints.rest, ...m.endpoints.buckets.filter((d): d is string => d !== null)])]
      const parts = this.#readTexts(digests).then((texts) => texts.map((t) => JSON.parse(t) as unknown))
      this.#allEndpoints = { version: m.endpoints.version, parts }
      parts.catch(() => (this.#allEndpoints = null))
    }
    return this.#allEndpoints!.parts
  }

  /** A document the current table names by digest (the internal services' data), verified against it. */
  document(digest: string): Promise<string> {
    if (this.#document?.digest !== digest) {
      const text = this.#readTexts([digest]).then(([t]) => t!)
      this.#document = { digest, text }
      text.catch(() => (this.#document = null))
    }
    return this.#document!.text
  }

  /** The prepared view that serves `host` when nothing needs loading or waiting for, else null. */
  ready(host: string, ctx: WaitUntil): View | null {
    this.#refreshIfDue(host, ctx)
    const good = this.#good
    if (good === null || (this.#refreshing !== null && this.#o.refreshWaitMs > 0)) return null
    const h = normalizedHost(host)
    return this.#prepared(good, bucketOfNormalized(h, good.manifest.routes.buckets.length), h)
  }

  /** The prepared view that serves `host`, or why there is none (the app answers 503). */
  async forHost(host: string, ctx: WaitUntil): Promise<View | { error: string }> {
    const o = this.#o
    this.#refreshIfDue(host, ctx)
    if (!this.#good && this.#refreshing) await this.#refreshing
    else if (this.#refreshing && o.refreshWaitMs > 0) {
      await Promise.race([this.#refreshing, new Promise((r) => setTimeout(r, o.refreshWaitMs))])
    }
    const good = this.#good
    if (!good) return { error: `no route table: ${this.#lastError ?? 'none loaded yet'}` }
    const h = normalizedHost(host)
    const index = bucketOfNormalized(h, good.manifest.routes.buckets.length)
    const view = this.#prepared(good, index, h)
    if (view !== null) return view
    try {
      return await this.#viewFor(good, index, [h], ctx)
    } catch (err) {
      // A missing blob most likely means the pointer moved on and the old version was collected.
      this.#lastCheck = -Infinity
      return { error: `route table bucket ${index} unavailable: ${(err as Error).message}` }
    }
  }

  /** Starts a look for a newer table in the background when one is due (none runs, interval passed). */
  #refreshIfDue(host: string, ctx: WaitUntil): void {
    const o = this.#o
    const sinceCheck = o.now() - this.#lastCheck
    const interval = o.beacon ? Math.min(o.beacon.intervalMs ?? 2000, o.refreshIntervalMs) : o.refreshIntervalMs
    if (!this.#refreshing && sinceCheck >= (this.#good ? interval : o.retryMs)) {
      const run = this.#refresh(host).finally(() => (this.#refreshing = null))
      this.#refreshing = run
      ctx.waitUntil(run)
    }
  }

  /** Bucket `index`'s view when it already has every part `h` (normalized) needs. */
  #prepared(good: Loaded<View>, index: number, h: string): View | null {
    const prepared = good.views.get(index)
    if (prepared === undefined) return null
    const bucket = good.buckets.get(index)!
    return prepared.parts === bucket.parts.size && !missingPart(bucket, h) ? prepared.view : null
  }

  /** `ctx`: deflating the texts again waits on it rather than delaying the request's answer. */
  async #viewFor(loaded: Loaded<View>, index: number, hosts: string[], ctx?: WaitUntil): Promise<View> {
    let bucket = loaded.buckets.get(index)
    if (bucket === undefined) {
      const m = loaded.manifest
      const routes = m.routes.buckets[index] ?? null
      const shard = m.endpoints.buckets[endpointsShardOf(index, m)] ?? null
      // The shard may already be here for another bucket of it.
      const known = [...loaded.buckets.values()].find((b) => b.shard.digest === shard)?.shard
      const digests = [routes, known ? null : shard].filter((d): d is string => d !== null)
      const texts = new Map(zip(digests, await this.#readTexts(digests)))
      const kept = (d: string | null): Kept => (d === null ? EMPTY : { digest: d, text: texts.get(d)! })
      const opened = await openBucket(kept(routes), known ?? kept(shard), hosts)
      // Another request may have opened it while this one read.
      bucket = loaded.buckets.get(index)
      if (bucket === undefined) loaded.buckets.set(index, (bucket = opened))
    }
    await addParts(bucket, hosts)
    // No await from here to the view's update: a part in the bucket is a part in its view.
    let prepared = loaded.views.get(index)
    if (prepared === undefined || prepared.parts !== bucket.parts.size) {
      const endpoints = bucket.endpoints ? [loaded.restEndpoints, bucket.endpoints] : [loaded.restEndpoints]
      const view = this.#o.prepare([loaded.rest, ...bucket.parts.values()], endpoints, prepared?.view)
      loaded.views.set(index, (prepared = { view, parts: bucket.parts.size }))
    }
    const view = prepared.view
    const deflated = deflateTexts(bucket)
    if (ctx) ctx.waitUntil(deflated)
    else await deflated
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
      // Newest first (by the claimed issuedAt); a refused candidate does not hide an older good one.
      const now = o.now()
      const candidates = newestFirst(seen.filter((p) => p !== good?.pointer && !(now < (this.#refused.get(p)?.retryAt ?? -Infinity))))
      for (const pointer of candidates) {
        const manifest = await o.verify(pointer)
        const refusal = 'error' in manifest ? manifest.error : this.#refusalOf(manifest, good?.manifest ?? null)
        if (refusal !== null || 'error' in manifest) {
          this.#refuse(pointer, refusal ?? 'refused')
          continue
        }
        try {
          this.#good = await this.#load(pointer, manifest, good, hint)
          this.#refused.delete(pointer)
          this.#lastError = null
          return
        } catch (err) {
          // A missing blob may still be on its way (KV propagates slowly): look again next time.
          if (err instanceof MissingBlob) throw err
          this.#refuse(pointer, (err as Error).message)
          return
        }
      }
    } catch (err) {
      this.#fail((err as Error).message)
    }
  }

  /** Backs off from `pointer`: it is looked at again after 1 s, then 2, 4... up to a minute. Logged the first time. */
  #refuse(pointer: string, reason: string): void {
    const before = this.#refused.get(pointer)
    const delayMs = Math.min(60_000, (before?.delayMs ?? 500) * 2)
    this.#refused.delete(pointer)
    this.#refused.set(pointer, { retryAt: this.#o.now() + delayMs, delayMs })
    if (this.#refused.size > 8) this.#refused.delete(this.#refused.keys().next().value!)
    if (before === undefined) this.#fail(reason)
    else this.#lastError = reason
  }

  /** Why a verified manifest is not taken, or null. */
  #refusalOf(m: TableManifest, inUse: TableManifest | null): string | null {
    const o = this.#o
    if (m.schema !== o.schema) {
      return `table schema ${JSON.stringify(m.schema)} is not ${JSON.stringify(o.schema)}, the one this edge reads`
    }
    if (inUse && m.issuedAt < inUse.issuedAt) return 'pointer is older than the table in use (replayed?)'
    if (o.minIssuedAt !== undefined && m.issuedAt < o.minIssuedAt) {
      return `pointer issued before TABLE_MIN_ISSUED_AT (${new Date(m.issuedAt).toISOString()}; replayed?)`
    }
    if (m.expiresAt !== undefined && o.now() > m.expiresAt + o.clockSkewMs) {
      return `pointer expired at ${new Date(m.expiresAt).toISOString()} (replayed, or the control plane has not signed it again)`
    }
    return null
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
  async #load(pointer: string, manifest: TableManifest, old: Loaded<View> | null, hint: string): Promise<Loaded<View>> {
    const oldM = old?.manifest
    const sameShape = oldM?.routes.buckets.length === manifest.routes.buckets.length && oldM.endpoints.buckets.length === manifest.endpoints.buckets.length
    // The buckets in use stay warm; a cold isolate reads the requesting host's bucket and its
    // endpoints shard in the same bulk read as the rest of the version.
    const keep = new Set(sameShape ? old!.buckets.keys() : [])
    keep.add(bucketOf(hint, manifest.routes.buckets.length))
    const parsed = new Map<string, unknown>()
    const oldBuckets = new Map<string, Bucket>()
    const kept = new Map<string, Kept>()
    if (old && oldM) {
      parsed.set(oldM.routes.rest, old.rest)
      parsed.set(oldM.endpoints.rest, old.restEndpoints)
      for (const b of old.buckets.values()) {
        if (b.routes.digest !== null) oldBuckets.set(b.routes.digest, b)
        if (b.shard.digest !== null) kept.set(b.shard.digest, b.shard)
      }
      for (const b of oldBuckets.values()) kept.set(b.routes.digest!, b.routes)
    }
    const wanted = [manifest.routes.rest, manifest.endpoints.rest].filter((d) => !parsed.has(d))
    for (const i of keep) {
      for (const d of [manifest.routes.buckets[i], manifest.endpoints.buckets[endpointsShardOf(i, manifest)]]) {
        if (d && !kept.has(d)) wanted.push(d)
      }
    }
    const fresh = [...new Set(wanted)]
    // Identical blobs share a digest: the rest endpoints may be a shard's too.
    for (const [d, text] of zip(fresh, await this.#readTexts(fresh))) {
      if (d === manifest.routes.rest || d === manifest.endpoints.rest) parsed.set(d, JSON.parse(text))
      kept.set(d, { digest: d, text })
    }

    const loaded: Loaded<View> = {
      pointer,
      manifest,
      rest: parsed.get(manifest.routes.rest),
      restEndpoints: parsed.get(manifest.endpoints.rest),
      buckets: new Map(),
      views: new Map(),
    }
    const restSame = old !== null && oldM!.routes.rest === manifest.routes.rest && oldM!.endpoints.rest === manifest.endpoints.rest
    const of = (d: string | null | undefined): Kept => (d ? kept.get(d)! : EMPTY)
    for (const i of keep) {
      const routes = manifest.routes.buckets[i] ?? null
      const shard = manifest.endpoints.buckets[endpointsShardOf(i, manifest)] ?? null
      const prior = routes === null ? undefined : oldBuckets.get(routes)
      // The hosts the old version served from this bucket stay warm, and the requesting one.
      const seen = [...(sameShape ? (old?.buckets.get(i)?.parts.keys() ?? []) : []), normalizeHost(hint)]
      if (prior === undefined) {
        loaded.buckets.set(i, await openBucket(of(routes), of(shard), seen))
      } else {
        loaded.buckets.set(i, prior.shard.digest === shard ? prior : await withShard(prior, of(shard)))
      }
      const oldView = old?.views.get(i)
      if (restSame && sameShape && oldView !== undefined && old!.buckets.get(i) === loaded.buckets.get(i)) {
        loaded.views.set(i, oldView)
      } else {
        await this.#viewFor(loaded, i, seen)
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

function zip<A, B>(a: A[], b: B[]): Array<[A, B]> {
  return a.map((x, i) => [x, b[i]!])
}

/** The pointers by their (not yet verified) issuedAt, latest first; verification comes after. */
function newestFirst(pointers: string[]): string[] {
  return [...new Set(pointers)]
    .map((p) => [p, peekIssuedAt(p)] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([p]) => p)
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

class MissingBlob extends Error {}
