// The local KV store that `wrangler dev` reads: miniflare's persisted store (under
// `.wrangler/state/v3` by default), reached through wrangler's own getPlatformProxy so the bytes
// land exactly where and how wrangler and miniflare read them. It runs a workerd process of its
// own; close() stops it.
import { join } from 'node:path'
import { getPlatformProxy } from 'wrangler'
import { chunks, type KvStore } from './store.ts'
import { MAX_BULK_GET } from '../../shared/kv/layout.ts'

export interface WranglerLocalKvOptions {
  /** wrangler.toml whose `kv_namespaces` entry names the namespace. */
  configPath: string
  /** As `wrangler dev --persist-to`: default `.wrangler/state` beside the config. */
  persistTo?: string
  /** The KV binding name in the config. */
  binding?: string
}

/** The part of a Workers KV binding this store uses (wrangler's proxy hands a real one). */
interface KvBinding {
  get(keys: string[], type: 'text'): Promise<Map<string, string | null>>
  put(key: string, value: string): Promise<void>
  delete(key: string): Promise<void>
  list(options: { prefix?: string; cursor?: string }): Promise<{ keys: Array<{ name: string }>; list_complete: boolean; cursor?: string }>
}

/** Writes in flight at once: the proxy serialises them anyway; a few overlap its round trips. */
const WRITE_CONCURRENCY = 8

export async function openWranglerLocalKv(options: WranglerLocalKvOptions): Promise<KvStore> {
  const binding = options.binding ?? 'ROUTES'
  // wrangler logs what it loads on stdout, which belongs to the caller (`ready URL` for npm run
  // edge); its logger reads WRANGLER_LOG at each line, so quieting the start is enough.
  const level = process.env.WRANGLER_LOG
  process.env.WRANGLER_LOG = level ?? 'warn'
  let proxy
  try {
    proxy = await getPlatformProxy<Record<string, KvBinding>>({
      configPath: options.configPath,
      // wrangler keeps its data under <persist-to>/v3; getPlatformProxy takes that inner path.
      persist: options.persistTo ? { path: join(options.persistTo, 'v3') } : true,
      remoteBindings: false,
      envFiles: [],
    })
  } finally {
    if (level === undefined) delete process.env.WRANGLER_LOG
  }
  const kv = proxy.env[binding]
  if (!kv) {
    await proxy.dispose()
    throw new Error(`${options.configPath}: no KV namespace bound as ${binding}`)
  }
  return {
    async get(keys) {
      const out = new Map<string, string | null>()
      for (const part of chunks(keys, MAX_BULK_GET)) {
        for (const [k, v] of await kv.get(part, 'text')) out.set(k, v)
      }
      return out
    },
    async put(entries) {
      for (const part of chunks(entries, WRITE_CONCURRENCY)) {
        await Promise.all(part.map(([k, v]) => kv.put(k, v)))
      }
    },
    async delete(keys) {
      for (const part of chunks(keys, WRITE_CONCURRENCY)) await Promise.all(part.map((k) => kv.delete(k)))
    },
    async list(prefix) {
      const names: string[] = []
      let cursor: string | undefined
      do {
        const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) })
        for (const key of page.keys) names.push(key.name)
        cursor = page.list_complete ? undefined : page.cursor
      } while (cursor)
      return names
    },
    close: () => proxy.dispose(),
  }
}
