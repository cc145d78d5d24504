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
  /** Bytes per bulk write request. Default and maximum 1 MiB (BULK_WRITE_BYTES). */
  maxBatchBytes?: number
}

const BULK_WRITE_PAIRS = 10_000
/**
 * The API refuses requests of 100 MB or more; stay well under it. 1 MB: each batch is held twice
 * while it is sent (its JSON body in the V8 heap, the body's bytes outside it), and what is live
 * when a GC runs sets how far V8 lets the heap grow next: 4 MB batches left the 10k first table's
 * peak RSS about 10 MB higher and a burst's a few MB (docs/performance-history.md). A first table
 * of 10 MB (10k routes) takes 10 requests, 100 MB (100k) 100.
 */
const BULK_WRITE_BYTES = 1024 * 1024
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

  /** A bulk call; keys it reports as unsuccessful are sent again, with backoff, until none remain. */
  async function bulk<T extends string | { key: string }>(method: string, path: string, items: T[]): Promise<void> {
    let pending = items
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { result } = await call<BulkResult>(method, path, pending)
      const failed = new Set(result?.unsuccessful_keys ?? [])
      if (failed.size === 0) return
      if (attempt >= maxAttempts) {
        throw new Error(`Cloudflare KV ${method} ${path}: ${failed.size} keys still unsuccessful after ${attempt} attempts`)
      }
      pending = pending.filter((item) => failed.has(typeof item === 'string' ? item : item.key))
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
      for (const part of writeBatches(entries, limits)) {
        await bulk(
          'PUT',
          '/bulk',
          part.map(([key, value]) => ({ key, value })),
        )
      }
    },
    async delete(keys) {
      for (const part of chunks(keys, limits.pairs)) await bulk('POST', '/bulk/delete', part)
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
function writeBatches(entries: ReadonlyArray<readonly [string, string]>, limits: { pairs: number; bytes: number }): Array<Array<readonly [string, string]>> {
  const batches: Array<Array<readonly [string, string]>> = []
  let current: Array<readonly [string, string]> = []
  let bytes = 0
  for (const entry of entries) {
    const size = pairBytes(entry[0], entry[1]) + 1
    if (current.length > 0 && (current.length >= limits.pairs || bytes + size > limits.bytes)) {
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

/** `{"key":` `,"value":` `}` */
const PAIR_OVERHEAD = 17

/**
 * UTF-8 bytes of JSON.stringify({ key, value }), without making that text: values are blobs of up
 * to 25 MiB (a burst's publish sizes a few MB of them a second), and the copy would be garbage.
 */
export function pairBytes(key: string, value: string): number {
  return PAIR_OVERHEAD + jsonStringBytes(key) + jsonStringBytes(value)
}

/** Characters JSON.stringify writes as more than their UTF-8 (escapes), or surrogates (measured by it). */
const ESCAPED = /[\u0000-\u001f\ud800-\udfff]/

function jsonStringBytes(s: string): number {
  if (ESCAPED.test(s)) return Buffer.byteLength(JSON.stringify(s))
  // Blob values are JSON text: their quotes and backslashes are each escaped with one backslash.
  return Buffer.byteLength(s) + 2 + occurrences(s, '"') + occurrences(s, '\\')
}

function occurrences(s: string, c: string): number {
  let n = 0
  for (let at = s.indexOf(c); at !== -1; at = s.indexOf(c, at + 1)) n++
  return n
}
