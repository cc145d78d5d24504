// Cloudflare Workers KV through its REST API (api.cloudflare.com/client/v4): bulk writes of up to
// 10,000 pairs (< 100 MB) per request, bulk deletes, bulk reads of up to 100 keys, paginated
// listing. Each call goes through control-plane/controller/cloudflare/api-client.ts, which retries 429 and
// 5xx answers, timeouts and network errors with exponential backoff and jitter (Retry-After
// honoured); keys a bulk call reports as unsuccessful are re-sent here the same way. Any other
// error fails at once with Cloudflare's own error messages.
import { readFileSync } from 'node:fs'
import { cloudflareApi, cloudflareSettingsFromEnv, type CloudflareApiOptions } from './api-client.ts'
import { chunks, type KvStore } from '../../kv/store.ts'

export interface CloudflareKvOptions extends CloudflareApiOptions {
  accountId: string
  namespaceId: string
  /** Pairs per bulk write. Default and maximum 10,000. */
  maxBatchPairs?: number
  /** Bytes per bulk write request. Default 90 MiB (the API refuses 100 MB or more). */
  maxBatchBytes?: number
}

const BULK_WRITE_PAIRS = 10_000
/**
 * The API refuses requests of 100 MB or more; stay well under it. 4 MB: a first table's blobs
 * (10 MB at 10k routes, 100 MB at 100k) are held one batch at a time (its body, outside the V8
 * heap: writeBatches), not whole, which keeps the controller's peak memory down
 * (docs/controller-sizing.md).
 */
const BULK_WRITE_BYTES = 4 * 1024 * 1024
const BULK_GET_KEYS = 100
const LIST_LIMIT = 1000

interface BulkResult {
  successful_key_count?: number
  unsuccessful_keys?: string[]
}

const CREDENTIALS = ['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_KV_NAMESPACE_ID', 'CLOUDFLARE_API_TOKEN'] as const

/**
 * Account, namespace and token from CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID and
 * CLOUDFLARE_API_TOKEN, each of which may instead be read from the file named by the same variable
 * with `_FILE` appended (a mounted Kubernetes Secret); CLOUDFLARE_API_BASE_URL optional.
 */
export function cloudflareKvOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CloudflareKvOptions {
  const values = cloudflareSettingsFromEnv(CREDENTIALS, 'Cloudflare KV', env, readFile)
  return {
    accountId: values.get('CLOUDFLARE_ACCOUNT_ID')!,
    namespaceId: values.get('CLOUDFLARE_KV_NAMESPACE_ID')!,
    apiToken: values.get('CLOUDFLARE_API_TOKEN')!,
    ...(env.CLOUDFLARE_API_BASE_URL ? { baseUrl: env.CLOUDFLARE_API_BASE_URL } : {}),
  }
}

export function createCloudflareKvStore(options: CloudflareKvOptions): KvStore {
  // Paths below are the namespace's, so errors read `Cloudflare KV PUT /bulk: ...`.
  const base = (options.baseUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/$/, '')
  const ns = `/accounts/${encodeURIComponent(options.accountId)}/storage/kv/namespaces/${encodeURIComponent(options.namespaceId)}`
  const call = cloudflareApi({ ...options, baseUrl: base + ns }, 'Cloudflare KV')
  const maxAttempts = options.maxAttempts ?? 6
  const baseDelay = options.baseDelayMs ?? 250
  const maxDelay = options.maxDelayMs ?? 10_000
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const limits = {
    pairs: Math.min(options.maxBatchPairs ?? BULK_WRITE_PAIRS, BULK_WRITE_PAIRS),
    bytes: Math.min(options.maxBatchBytes ?? BULK_WRITE_BYTES, BULK_WRITE_BYTES),
  }

  /**
   * A bulk call; keys it reports as unsuccessful are sent again, with backoff, until none remain.
   * `first` is the first attempt's body when made already; `body` makes the body of a retry.
   */
  async function bulk<T>(method: string, path: string, items: T[], keyOf: (item: T) => string, body: (items: T[]) => unknown, first?: unknown): Promise<void> {
    let pending = items
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { result } = await call<BulkResult>(method, path, attempt === 1 && first !== undefined ? first : body(pending))
      const failed = new Set(result?.unsuccessful_keys ?? [])
      if (failed.size === 0) return
      if (attempt >= maxAttempts) {
        throw new Error(`Cloudflare KV ${method} ${path}: ${failed.size} keys still unsuccessful after ${attempt} attempts`)
      }
      pending = pending.filter((item) => failed.has(keyOf(item)))
      await sleep(Math.random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1)))
    }
  }

  return {
    async get(keys) {
      const out = new Map<string, string | null>()
      for (const part of chunks(keys, BULK_GET_KEYS)) {
        const { result } = await call<{ values?: Record<string, unknown> }>('POST', '/bulk/get', { keys: part, type: 'text' })
        for (const key of part) {
          const value = result?.values?.[key]
          out.set(key, typeof value === 'string' ? value : null)
        }
      }
      return out
    },
    async put(entries) {
      for (const batch of writeBatches(entries, limits)) await bulk('PUT', '/bulk', batch.entries, (e) => e[0], writeBatchBody, batch.body)
    },
    async delete(keys) {
      const same = (k: string[]) => k
      for (const part of chunks(keys, limits.pairs)) await bulk('POST', '/bulk/delete', part, (k) => k, same)
    },
    async list(prefix) {
      const names: string[] = []
      let cursor = ''
      do {
        const query = new URLSearchParams({ prefix, limit: String(LIST_LIMIT), ...(cursor ? { cursor } : {}) })
        const page = await call<Array<{ name: string }>>('GET', `/keys?${query}`)
        for (const key of page.result ?? []) names.push(key.name)
        cursor = page.result_info?.cursor ?? ''
      } while (cursor)
      return names
    },
    async close() {},
  }
}

/**
 * Batches within the bulk write limits (pairs and bytes), one at a time, each with its request body
 * made as it is measured: the JSON array of {key, value} pairs as a Blob, which holds the bytes
 * outside the V8 heap and which fetch streams as it is. A batch's body as one string would sit in
 * the heap beside its encoded copy (two copies of up to 4 MB, the controller's peak during a
 * first table or a burst of changes); here only one pair's JSON is a string at a time.
 */
function* writeBatches(
  entries: ReadonlyArray<readonly [string, string]>,
  limits: { pairs: number; bytes: number },
): Generator<{ entries: Array<readonly [string, string]>; body: Blob }> {
  let current: Array<readonly [string, string]> = []
  let parts: Array<Blob | string> = []
  let bytes = 0
  for (const entry of entries) {
    // Exact: blob values are JSON text, whose quotes JSON-escaping doubles.
    const pair = new Blob([JSON.stringify({ key: entry[0], value: entry[1] })])
    const size = pair.size + 1
    if (current.length > 0 && (current.length >= limits.pairs || bytes + size > limits.bytes)) {
      yield { entries: current, body: arrayBody(parts) }
      current = []
      parts = []
      bytes = 0
    }
    current.push(entry)
    parts.push(pair)
    bytes += size
  }
  if (current.length > 0) yield { entries: current, body: arrayBody(parts) }
}

/** A batch's body made again (a retry of the keys a bulk write reported as unsuccessful). */
function writeBatchBody(entries: ReadonlyArray<readonly [string, string]>): Blob {
  return arrayBody(entries.map(([key, value]) => new Blob([JSON.stringify({ key, value })])))
}

/** A JSON array of JSON texts, as a Blob (the parts are not copied into the heap again). */
function arrayBody(parts: Array<Blob | string>): Blob {
  const out: Array<Blob | string> = ['[']
  for (const [i, p] of parts.entries()) {
    if (i > 0) out.push(',')
    out.push(p)
  }
  out.push(']')
  return new Blob(out, { type: 'application/json' })
}
