// Publishes packed tables to a KV store: blobs first, then the signed pointer, so the pointer never
// names a blob that is not there. Pointer writes are coalesced to one per `pointerMinIntervalMs`
// (Workers KV takes one write per second per key): publishes that arrive meanwhile collapse into
// the newest. Blobs the pointer stopped naming are deleted after a grace period, long enough for
// edges still on the old pointer (KV propagation takes 60 s or more) to finish loading it.
// Pointers expire (`pointerTtlMs`): `refresh()`, called on a timer by whoever runs the publisher,
// signs the same table again once a quarter of its lifetime has passed, so a pointer someone
// copied and writes back later is refused by edges that load it (docs/table.md, "Replays").
import { BLOB_PREFIX, POINTER_KEY, blobKey, parseManifest, type TableManifest } from '../../shared/kv/layout.ts'
import type { KvStore } from '../kv/store.ts'
import { packTable, type DroppedHost, type EdgeTableInput, type PackedTable, type PackOptions } from '../../shared/kv/pack-table.ts'
import type { BeaconNotifier } from './beacon.ts'
import type { TableSigner } from './signing-key.ts'
import { sealTableSecrets, type SecretsSealer } from './seal-secrets.ts'

export interface PublisherOptions {
  store: KvStore
  signer: TableSigner
  /** Seals middleware secrets (basicAuth users...) to the edge's key; without one they are withheld, never stored in plain text. */
  secrets?: SecretsSealer
  /** How long a blob outlives the last pointer that named it. Default 10 minutes. */
  graceMs?: number
  /** Minimum time between two pointer writes. Default 1000 ms (Workers KV's per-key limit). */
  pointerMinIntervalMs?: number
  /** How long a pointer is valid for an edge loading it (its `expiresAt`). Default 24 hours. */
  pointerTtlMs?: number
  pack?: PackOptions
  now?: () => number
  /**
   * Tells the edge's version beacon each new pointer, after KV holds it (./beacon.ts). A failure
   * does not fail the publish (KV has the table; edges find it at KV's pace) and is retried with
   * the next publish; the result says how it went.
   */
  beacon?: BeaconNotifier
}

export interface PublishResult {
  /**
   * False when nothing was written: the table's content was already the published one, under a
   * pointer still fresh and signed by the current key.
   */
  changed: boolean
  manifest: TableManifest
  blobsWritten: number
  /** UTF-8 bytes of the blobs the manifest names (the table's size in KV). */
  bytes: number
  /** With a beacon: whether the published pointer reached it (also after an unchanged publish that retried it). */
  beacon?: { ok: true } | { error: string }
  /** Hosts left out of the published table: their routes do not fit in one KV value (./pack-table.ts). */
  dropped?: DroppedHost[]
}

/**
 * A table already packed (and sealed) by the incremental pipeline: its manifest, and the blobs
 * made since the previous one; blobs of earlier builds that the manifest still names are already
 * stored or handed over before.
 */
export interface PrepackedTable {
  packed: PackedTable
  /** UTF-8 bytes of the blobs the manifest names. */
  bytes: number
}

/** A prepacked table names a blob this publisher never had: build it from scratch. */
export class MissingBlobError extends Error {
  override readonly name = 'MissingBlobError'
}

interface Job {
  /** null: sign the current table again (refresh). */
  input: EdgeTableInput | PrepackedTable | null
  waiters: Array<{ resolve: (r: PublishResult) => void; reject: (e: unknown) => void }>
}

export const DEFAULT_POINTER_TTL_MS = 24 * 60 * 60_000

export class TablePublisher {
  readonly #store: KvStore
  readonly #signer: TableSigner
  readonly #secrets: SecretsSealer | null
  readonly #graceMs: number
  readonly #minInterval: number
  readonly #ttl: number
  readonly #pack: PackOptions
  readonly #now: () => number
  readonly #beacon: BeaconNotifier | null
  #current: TableManifest | null
  /** Key id the stored pointer is signed with: another signer re-signs even an unchanged table. */
  #currentKid: string | null
  /**
   * The current table is one this process was asked to publish (written, or found already
   * stored): only such a table is refreshed. A pointer merely found in the store may be a replay.
   */
  #vouched = false
  /** Blob digests known to be stored. */
  readonly #stored: Set<string>
  /** Stored blobs the current pointer does not name, with when they stopped being named. */
  readonly #retired = new Map<string, number>()
  #lastPointerWrite = -Infinity
  /** The pointer the beacon has not acknowledged yet. */
  #unannounced: string | null = null
  #pending: Job | null = null
  #draining: Promise<void> | null = null
  /**
   * Blobs of prepacked tables not stored yet: a table a newer one replaced before it was written,
   * or whose write failed, may have made blobs the newer one still names.
   */
  readonly #unwritten = new Map<string, string>()

  private constructor(options: PublisherOptions, current: TableManifest | null, stored: Set<string>, pointer: string | null) {
    this.#store = options.store
    this.#signer = options.signer
    this.#secrets = options.secrets ?? null
    this.#graceMs = options.graceMs ?? 10 * 60_000
    this.#minInterval = options.pointerMinIntervalMs ?? 1000
    this.#ttl = options.pointerTtlMs ?? DEFAULT_POINTER_TTL_MS
    this.#pack = options.pack ?? {}
    this.#now = options.now ?? Date.now
    this.#beacon = options.beacon ?? null
    // A writer that died between the KV write and the beacon's: the first publish announces it.
    this.#unannounced = current ? pointer : null
    this.#current = current
    this.#currentKid = pointer ? kidOf(pointer) : null
    this.#stored = stored
    const named = current ? manifestDigests(current) : new Set<string>()
    for (const digest of stored) if (!named.has(digest)) this.#retired.set(digest, this.#now())
  }

  /** Reads what the store already holds, so a restart neither rewrites nor orphans anything. */
  static async open(options: PublisherOptions): Promise<TablePublisher> {
    const [pointer, keys] = await Promise.all([options.store.get([POINTER_KEY]).then((m) => m.get(POINTER_KEY) ?? null), options.store.list(BLOB_PREFIX)])
    const stored = new Set(keys.map((k) => k.slice(BLOB_PREFIX.length)))
    return new TablePublisher(options, pointer ? readPointerUnverified(pointer) : null, stored, pointer)
  }

  get current(): TableManifest | null {
    return this.#current
  }

  /** Publishes the table; resolves once a pointer naming it (or a newer table) is written. */
  publish(input: EdgeTableInput | PrepackedTable): Promise<PublishResult> {
    if ('packed' in input) for (const [digest, text] of input.packed.blobs) if (!this.#stored.has(digest)) this.#unwritten.set(digest, text)
    return new Promise((resolve, reject) => {
      if (this.#pending) this.#pending.input = input
      else this.#pending = { input, waiters: [] }
      this.#pending.waiters.push({ resolve, reject })
      this.#draining ??= this.#drain()
    })
  }

  /** How often `refresh()` should be called: a quarter of the pointer's lifetime, at most a minute. */
  get refreshIntervalMs(): number {
    return Math.max(1, Math.min(60_000, Math.floor(this.#ttl / 4)))
  }

  /**
   * Signs the current table again when a quarter of its pointer's lifetime has passed (blobs are
   * not rewritten); nothing when it is fresh, when a publish is on its way (which signs anew), or
   * when the current pointer is not one this process published. Resolves with whether it wrote.
   */
  async refresh(): Promise<boolean> {
    const current = this.#current
    if (!this.#vouched || current === null || this.#pending !== null || !this.#due(current)) return false
    await new Promise<PublishResult>((resolve, reject) => {
      this.#pending = { input: null, waiters: [{ resolve, reject }] }
      this.#draining ??= this.#drain()
    })
    return true
  }

  /** The pointer is past a quarter of its lifetime, or has none (written before expiries). */
  #due(m: TableManifest): boolean {
    return m.expiresAt === undefined || this.#now() - m.issuedAt >= this.#ttl / 4
  }

  /** Deletes blobs whose grace period is over. Returns how many. */
  async collectGarbage(): Promise<number> {
    const cutoff = this.#now() - this.#graceMs
    const expired = [...this.#retired].filter(([, since]) => since <= cutoff).map(([d]) => d)
    if (expired.length === 0) return 0
    await this.#store.delete(expired.map(blobKey))
    for (const digest of expired) {
      this.#retired.delete(digest)
      this.#stored.delete(digest)
    }
    return expired.length
  }

  async #announce(): Promise<Pick<PublishResult, 'beacon'>> {
    const pointer = this.#unannounced
    if (!this.#beacon || pointer === null) return {}
    try {
      await this.#beacon(pointer)
      if (this.#unannounced === pointer) this.#unannounced = null
      return { beacon: { ok: true } }
    } catch (err) {
      return { beacon: { error: (err as Error).message } }
    }
  }

  async #drain(): Promise<void> {
    // #draining is cleared in the very turn the loop finds no job (no await in between), so a
    // publish() made by whoever a resolved waiter wakes always finds a drain to join or starts one.
    try {
      while (this.#pending) {
        const wait = this.#lastPointerWrite + this.#minInterval - this.#now()
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        const job = this.#pending
        this.#pending = null
        try {
          const result = job.input === null ? await this.#resign() : await this.#publishNow(job.input)
          for (const w of job.waiters) w.resolve(result)
        } catch (err) {
          for (const w of job.waiters) w.reject(err)
        }
      }
    } finally {
      this.#draining = null
    }
  }

  /**
   * What a prepacked table's pointer needs stored: its blobs not stored yet, from those handed
   * over so far. One neither stored nor handed over cannot be published (the caller then builds
   * from scratch, which hands every blob over again).
   */
  #prepacked(packed: PackedTable): PackedTable {
    const blobs = new Map<string, string>()
    for (const digest of manifestDigests({ ...packed.manifest, issuedAt: 0 })) {
      if (this.#stored.has(digest)) continue
      const text = this.#unwritten.get(digest) ?? packed.blobs.get(digest)
      if (text === undefined) throw new MissingBlobError(`blob ${digest} of the table is neither stored nor at hand`)
      blobs.set(digest, text)
    }
    return { manifest: packed.manifest, blobs, dropped: packed.dropped }
  }

  async #publishNow(input: EdgeTableInput | PrepackedTable): Promise<PublishResult> {
    const {
      manifest: body,
      blobs,
      dropped,
    } = 'packed' in input ? this.#prepacked(input.packed) : await packTable(await sealTableSecrets(input, this.#secrets), this.#pack)
    const left = dropped.length ? { dropped } : {}
    const current = this.#current
    let bytes = 0
    if ('packed' in input) bytes = input.bytes
    else for (const text of blobs.values()) bytes += Buffer.byteLength(text)
    const same =
      current !== null &&
      current.schema === body.schema &&
      current.routes.version === body.routes.version &&
      current.endpoints.version === body.endpoints.version
    if (same) this.#vouched = true
    // The same table under a fresh pointer when the stored one is signed by another key or is due.
    if (same && this.#currentKid === this.#signer.kid && !this.#due(current)) {
      return { changed: false, manifest: current, blobsWritten: 0, bytes, ...left, ...(await this.#announce()) }
    }
    const missing = [...blobs].filter(([digest]) => !this.#stored.has(digest))
    await this.#store.put(missing.map(([digest, text]) => [blobKey(digest), text] as const))
    for (const [digest] of missing) {
      this.#stored.add(digest)
      this.#unwritten.delete(digest)
    }

    const manifest = await this.#writePointer(body)
    this.#vouched = true

    const named = manifestDigests(manifest)
    // Blobs no pointer names any more are never written.
    for (const digest of this.#unwritten.keys()) if (!named.has(digest)) this.#unwritten.delete(digest)
    for (const digest of named) this.#retired.delete(digest)
    for (const digest of this.#stored) {
      if (!named.has(digest) && !this.#retired.has(digest)) this.#retired.set(digest, this.#now())
    }
    const beacon = await this.#announce()
    await this.collectGarbage()
    return { changed: true, manifest, blobsWritten: missing.length, bytes, ...left, ...beacon }
  }

  /** Signs and writes a pointer to `body` with a new issuedAt and expiry; it becomes the current one. */
  async #writePointer(body: Omit<TableManifest, 'issuedAt' | 'expiresAt'>): Promise<TableManifest> {
    const issuedAt = Math.max(this.#now(), (this.#current?.issuedAt ?? 0) + 1)
    const manifest: TableManifest = { ...body, issuedAt, expiresAt: issuedAt + this.#ttl }
    const pointer = await this.#signer.sign(JSON.stringify(manifest))
    await this.#store.put([[POINTER_KEY, pointer]])
    this.#lastPointerWrite = this.#now()
    this.#current = manifest
    this.#currentKid = this.#signer.kid
    this.#unannounced = pointer
    return manifest
  }

  /** The refresh job: the current table under a new pointer, unless a publish just signed it. */
  async #resign(): Promise<PublishResult> {
    const current = this.#current!
    if (!this.#due(current)) return { changed: false, manifest: current, blobsWritten: 0, bytes: 0 }
    const { issuedAt: _, expiresAt: __, ...body } = current
    const manifest = await this.#writePointer(body)
    return { changed: true, manifest, blobsWritten: 0, bytes: 0, ...(await this.#announce()) }
  }
}

export function manifestDigests(m: TableManifest): Set<string> {
  const digests = new Set<string>([m.routes.rest, m.endpoints.rest])
  for (const b of m.routes.buckets) if (b) digests.add(b)
  for (const b of m.endpoints.buckets) if (b) digests.add(b)
  for (const d of m.documents ?? []) digests.add(d)
  return digests
}

/** The payload of a stored pointer, read without checking its signature: only to resume from. */
/** The `kid` of a stored pointer's JWS header (unverified: only to know whether to re-sign). */
function kidOf(jws: string): string | null {
  try {
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: unknown }
    return typeof header.kid === 'string' ? header.kid : null
  } catch {
    return null
  }
}

function readPointerUnverified(jws: string): TableManifest | null {
  try {
    const payload = jws.split('.')[1] ?? ''
    const parsed = parseManifest(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')))
    return 'error' in parsed ? null : parsed
  } catch {
    return null
  }
}
