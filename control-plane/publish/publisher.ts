// Publishes packed tables to a KV store: blobs first, then the signed pointer, so the pointer never
// names a blob that is not there. Pointer writes are coalesced to one per `pointerMinIntervalMs`
// (Workers KV takes one write per second per key): publishes that arrive meanwhile collapse into
// the newest. Blobs the pointer stopped naming are deleted after a grace period, long enough for
// edges still on the old pointer (KV propagation takes 60 s or more) to finish loading it.
import { BLOB_PREFIX, POINTER_KEY, blobKey, parseManifest, type TableManifest } from '../../shared/kv/layout.ts'
import type { KvStore } from '../kv/store.ts'
import { packTable, type EdgeTableInput, type PackOptions } from '../../shared/kv/pack-table.ts'
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
  /** False when the table's content was already the published one: nothing was written. */
  changed: boolean
  manifest: TableManifest
  blobsWritten: number
  /** UTF-8 bytes of the blobs the manifest names (the table's size in KV). */
  bytes: number
  /** With a beacon: whether the published pointer reached it (also after an unchanged publish that retried it). */
  beacon?: { ok: true } | { error: string }
}

interface Job {
  input: EdgeTableInput
  waiters: Array<{ resolve: (r: PublishResult) => void; reject: (e: unknown) => void }>
}

export class TablePublisher {
  readonly #store: KvStore
  readonly #signer: TableSigner
  readonly #secrets: SecretsSealer | null
  readonly #graceMs: number
  readonly #minInterval: number
  readonly #pack: PackOptions
  readonly #now: () => number
  readonly #beacon: BeaconNotifier | null
  #current: TableManifest | null
  /** Key id the stored pointer is signed with: another signer re-signs even an unchanged table. */
  #currentKid: string | null
  /** Blob digests known to be stored. */
  readonly #stored: Set<string>
  /** Stored blobs the current pointer does not name, with when they stopped being named. */
  readonly #retired = new Map<string, number>()
  #lastPointerWrite = -Infinity
  /** The pointer the beacon has not acknowledged yet. */
  #unannounced: string | null = null
  #pending: Job | null = null
  #draining: Promise<void> | null = null

  private constructor(options: PublisherOptions, current: TableManifest | null, stored: Set<string>, pointer: string | null) {
    this.#store = options.store
    this.#signer = options.signer
    this.#secrets = options.secrets ?? null
    this.#graceMs = options.graceMs ?? 10 * 60_000
    this.#minInterval = options.pointerMinIntervalMs ?? 1000
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
  publish(input: EdgeTableInput): Promise<PublishResult> {
    return new Promise((resolve, reject) => {
      if (this.#pending) this.#pending.input = input
      else this.#pending = { input, waiters: [] }
      this.#pending.waiters.push({ resolve, reject })
      this.#draining ??= this.#drain()
    })
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
          const result = await this.#publishNow(job.input)
          for (const w of job.waiters) w.resolve(result)
        } catch (err) {
          for (const w of job.waiters) w.reject(err)
        }
      }
    } finally {
      this.#draining = null
    }
  }

  async #publishNow(input: EdgeTableInput): Promise<PublishResult> {
    const { manifest: body, blobs } = await packTable(await sealTableSecrets(input, this.#secrets), this.#pack)
    const current = this.#current
    let bytes = 0
    for (const text of blobs.values()) bytes += Buffer.byteLength(text)
    if (
      current &&
      current.schema === body.schema &&
      current.routes.version === body.routes.version &&
      current.endpoints.version === body.endpoints.version &&
      this.#currentKid === this.#signer.kid
    ) {
      return { changed: false, manifest: current, blobsWritten: 0, bytes, ...(await this.#announce()) }
    }
    const missing = [...blobs].filter(([digest]) => !this.#stored.has(digest))
    await this.#store.put(missing.map(([digest, text]) => [blobKey(digest), text] as const))
    for (const [digest] of missing) this.#stored.add(digest)

    const manifest: TableManifest = {
      ...body,
      issuedAt: Math.max(this.#now(), (current?.issuedAt ?? 0) + 1),
    }
    const pointer = await this.#signer.sign(JSON.stringify(manifest))
    await this.#store.put([[POINTER_KEY, pointer]])
    this.#lastPointerWrite = this.#now()
    this.#current = manifest
    this.#currentKid = this.#signer.kid

    const named = manifestDigests(manifest)
    for (const digest of named) this.#retired.delete(digest)
    for (const digest of this.#stored) {
      if (!named.has(digest) && !this.#retired.has(digest)) this.#retired.set(digest, this.#now())
    }
    this.#unannounced = pointer
    const beacon = await this.#announce()
    await this.collectGarbage()
    return { changed: true, manifest, blobsWritten: missing.length, bytes, ...beacon }
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
