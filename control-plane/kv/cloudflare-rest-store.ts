// Cloudflare Workers KV through its REST API (api.cloudflare.com/client/v4): bulk writes of up to
// 10,000 pairs (< 100 MB) per request, bulk deletes, bulk reads of up to 100 keys, paginated
// listing. 429 and 5xx answers and network errors are retried with exponential backoff and
// jitter (Retry-After honoured); keys a bulk call reports as unsuccessful are retried the same way.
// Any other error fails at once with Cloudflare's own error messages.
import { chunks, type KvStore } from './store.ts'

export interface CloudflareKvOptions {
  accountId: string
  namespaceId: string
  apiToken: string
  /** Default https://api.cloudflare.com/client/v4 */
  baseUrl?: string
  /** Attempts per request, the first included. Default 6. */
  maxAttempts?: number
  /** First backoff step; doubles per attempt up to maxDelayMs. Defaults 250 / 10000 ms. */
  baseDelayMs?: number
  maxDelayMs?: number
  fetch?: typeof fetch
}

const BULK_WRITE_PAIRS = 10_000
/** The API refuses requests of 100 MB or more; stay well under it. */
const BULK_WRITE_BYTES = 90 * 1024 * 1024
const BULK_GET_KEYS = 100
const LIST_LIMIT = 1000

interface Envelope<T> {
  success?: boolean
  errors?: Array<{ code?: number; message?: string }>
  result?: T
  result_info?: { cursor?: string }
}

interface BulkResult {
  successful_key_count?: number
  unsuccessful_keys?: string[]
}

export class CloudflareKvError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'CloudflareKvError'
    this.status = status
  }
}

/** Account, namespace and token from CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID, CLOUDFLARE_API_TOKEN. */
export function cloudflareKvOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): CloudflareKvOptions {
  const missing = ['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_KV_NAMESPACE_ID', 'CLOUDFLARE_API_TOKEN'].filter((k) => !env[k])
  if (missing.length) throw new Error(`Cloudflare KV: ${missing.join(', ')} not set`)
  return {
    accountId: env.CLOUDFLARE_ACCOUNT_ID!,
    namespaceId: env.CLOUDFLARE_KV_NAMESPACE_ID!,
    apiToken: env.CLOUDFLARE_API_TOKEN!,
    ...(env.CLOUDFLARE_API_BASE_URL ? { baseUrl: env.CLOUDFLARE_API_BASE_URL } : {}),
  }
}

export function createCloudflareKvStore(options: CloudflareKvOptions): KvStore {
  const base = `${(options.baseUrl ?? 'https://api.cloudflare.com/client/v4').replace(/\/$/, '')}/accounts/${encodeURIComponent(options.accountId)}/storage/kv/namespaces/${encodeURIComponent(options.namespaceId)}`
  const doFetch = options.fetch ?? fetch
  const maxAttempts = options.maxAttempts ?? 6
  const baseDelay = options.baseDelayMs ?? 250
  const maxDelay = options.maxDelayMs ?? 10_000

  /** One API call, retried while the answer is 429, 5xx or no answer at all. */
  async function call<T>(method: string, path: string, body?: unknown): Promise<Envelope<T>> {
    const what = `${method} ${path.split('?')[0]}`
    for (let attempt = 1; ; attempt++) {
      let res: Response | null = null
      let failure: string
      try {
        res = await doFetch(base + path, {
          method,
          headers: { authorization: `Bearer ${options.apiToken}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        const text = await res.text()
        const envelope = (text ? JSON.parse(text) : {}) as Envelope<T>
        if (res.ok && envelope.success !== false) return envelope
        failure = `${res.status} ${describeErrors(envelope) || res.statusText}`
        if (res.status !== 429 && res.status < 500) throw new CloudflareKvError(res.status, `Cloudflare KV ${what}: ${failure}`)
      } catch (err) {
        if (err instanceof CloudflareKvError) throw err
        failure = res ? `${res.status}: unreadable answer` : (err as Error).message
      }
      if (attempt >= maxAttempts) {
        throw new CloudflareKvError(res?.status ?? 0, `Cloudflare KV ${what}: gave up after ${attempt} attempts: ${failure}`)
      }
      await sleep(backoff(attempt, res?.headers.get('retry-after') ?? null))
    }
  }

  function backoff(attempt: number, retryAfter: string | null): number {
    const told = retryAfter === null ? NaN : Number(retryAfter) * 1000
    if (Number.isFinite(told) && told >= 0) return Math.min(told, maxDelay)
    // Full jitter: concurrent writers that failed together do not retry together.
    return Math.random() * Math.min(maxDelay, baseDelay * 2 ** (attempt - 1))
  }

  /** A bulk call; keys it reports as unsuccessful are sent again, with backoff, until none remain. */
  async function bulk<T extends string | { key: string }>(method: string, path: string, items: T[]): Promise<void> {
    let pending = items
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { result } = await call<BulkResult>(method, path, pending)
      const failed = new Set(result?.unsuccessful_keys ?? [])
      if (failed.size === 0) return
      if (attempt >= maxAttempts) {
        throw new CloudflareKvError(200, `Cloudflare KV ${method} ${path}: ${failed.size} keys still unsuccessful after ${attempt} attempts`)
      }
      pending = pending.filter((item) => failed.has(typeof item === 'string' ? item : item.key))
      await sleep(backoff(attempt, null))
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
      for (const part of writeBatches(entries)) {
        await bulk('PUT', '/bulk', part.map(([key, value]) => ({ key, value })))
      }
    },
    async delete(keys) {
      for (const part of chunks(keys, BULK_WRITE_PAIRS)) await bulk('POST', '/bulk/delete', part)
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

/** Batches within the bulk write limits (pairs and bytes). */
function writeBatches(entries: ReadonlyArray<readonly [string, string]>): Array<Array<readonly [string, string]>> {
  const batches: Array<Array<readonly [string, string]>> = []
  let current: Array<readonly [string, string]> = []
  let bytes = 0
  for (const entry of entries) {
    const size = Buffer.byteLength(entry[0]) + Buffer.byteLength(entry[1]) + 32
    if (current.length > 0 && (current.length >= BULK_WRITE_PAIRS || bytes + size > BULK_WRITE_BYTES)) {
      batches.push(current)
      current = []
      bytes = 0
    }
    current.push(entry)
    bytes += size
  }
  if (current.length > 0) batches.push(current)
  return batches
}

function describeErrors(envelope: Envelope<unknown>): string {
  return (envelope.errors ?? []).map((e) => `${e.message ?? 'error'}${e.code ? ` (code ${e.code})` : ''}`).join('; ')
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
