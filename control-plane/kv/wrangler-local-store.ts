// The local KV store that `wrangler dev` reads: miniflare's persisted store (under
// `.wrangler/state/v3` by default), reached through wrangler's own getPlatformProxy so the bytes
// land exactly where and how wrangler and miniflare read them. It runs a workerd process of its
// own; close() stops it.
//
// getPlatformProxy is given a KV-only configuration derived from wrangler.toml (its name,
// compatibility date and the one KV namespace), not wrangler.toml itself: the proxy has no worker
// module, so the Durable Object bindings there would each print a warning ("internal Durable
// Objects ... will not work in local development", "no such Durable Object class is exported"),
// and the VPC Network binding, which has no local simulator, would want a Cloudflare API token.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { experimental_readRawConfig, getPlatformProxy } from 'wrangler'
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

/**
 * The part of a wrangler configuration the local store needs: name, compatibility date and the KV
 * namespace bound as `binding` (same id, so the same persisted data as `wrangler dev`).
 */
export function kvOnlyConfig(configPath: string, binding: string): Record<string, unknown> {
  const { rawConfig } = experimental_readRawConfig({ config: configPath })
  const kv = (rawConfig.kv_namespaces ?? []).filter((ns: { binding?: string }) => ns.binding === binding)
  if (kv.length === 0) throw new Error(`${configPath}: no KV namespace bound as ${binding}`)
  return { name: rawConfig.name, compatibility_date: rawConfig.compatibility_date, kv_namespaces: kv }
}

export async function openWranglerLocalKv(options: WranglerLocalKvOptions): Promise<KvStore> {
  const binding = options.binding ?? 'ROUTES'
  const scratch = await mkdtemp(join(tmpdir(), 'traefik-edge-kv-'))
  const kvConfig = join(scratch, 'wrangler.json')
  // wrangler logs what it loads on stdout, which belongs to the caller (`ready URL` for npm run
  // edge); its logger reads WRANGLER_LOG at each line, so quieting the start is enough.
  const level = process.env.WRANGLER_LOG
  process.env.WRANGLER_LOG = level ?? 'warn'
  let proxy
  try {
    await writeFile(kvConfig, JSON.stringify(kvOnlyConfig(options.configPath, binding), null, 2))
    proxy = await getPlatformProxy<Record<string, KvBinding>>({
      configPath: kvConfig,
      // wrangler keeps its data under <persist-to>/v3; getPlatformProxy takes that inner path. The
      // default is wrangler dev's: .wrangler/state beside the (real) configuration.
      persist: { path: join(options.persistTo ?? join(dirname(options.configPath), '.wrangler/state'), 'v3') },
      remoteBindings: false,
      envFiles: [],
    })
  } catch (err) {
    await rm(scratch, { recursive: true, force: true })
    throw err
  } finally {
    if (level === undefined) delete process.env.WRANGLER_LOG
  }
  const kv = proxy.env[binding]
  if (!kv) {
    await proxy.dispose()
    await rm(scratch, { recursive: true, force: true })
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
    close: async () => {
      await proxy.dispose()
      await rm(scratch, { recursive: true, force: true })
    },
  }
}
