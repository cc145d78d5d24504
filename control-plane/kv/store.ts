// The one interface every KV sink implements: the local store `wrangler dev` reads, an in-memory
// store, and Cloudflare Workers KV over its REST API. Bulk-shaped so a sink can batch writes.

export interface KvStore {
  /** Values of the keys; a missing key maps to null. */
  get(keys: readonly string[]): Promise<Map<string, string | null>>
  /** Writes every entry; rejects if any write failed (some may have landed). */
  put(entries: ReadonlyArray<readonly [key: string, value: string]>): Promise<void>
  delete(keys: readonly string[]): Promise<void>
  /** Every key starting with the prefix. */
  list(prefix: string): Promise<string[]>
  /** Releases connections or child processes the sink holds. */
  close(): Promise<void>
}

/** Splits items into consecutive chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
