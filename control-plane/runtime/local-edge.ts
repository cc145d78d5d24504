// The edge running on this machine: the worker bundled and served by `workerd serve` with a
// generated config, its ROUTES binding served from a KvStore over loopback, and a publisher that
// signs tables into that store with the local signing key. Used by `npm run edge`, `npm start`
// and the e2e test helpers; `control-plane/runtime/self-hosted.ts` writes the same config to disk.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serveKvForWorkerd } from '../kv/workerd-kv-server.ts'
import type { KvStore } from '../kv/store.ts'
import type { EdgeTableInput } from '../publish/pack-table.ts'
import { TablePublisher, type PublishResult } from '../publish/publisher.ts'
import { loadOrCreateDevSigningKey, type TableSigner } from '../publish/signing-key.ts'
import { bundleWorker } from './bundle-worker.ts'
import { workerdConfig, type WorkerdEntryPoint } from './workerd-config.ts'
import { startWorkerd } from './workerd-process.ts'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url).href))
export const DEFAULT_WORKER = join(REPO_ROOT, 'edge-worker/src/index.ts')
export const DEFAULT_STATE_DIR = join(REPO_ROOT, '.state')

export interface LocalEdgeOptions {
  /** Where tables are published and the worker reads them from. */
  store: KvStore
  /** Gitignored directory for the signing key and the generated config. Default `.state/`. */
  stateDir?: string
  /** Default: `web` on 127.0.0.1:8787. */
  entryPoints?: WorkerdEntryPoint[]
  /** The worker's entry module. Default edge-worker/src/index.ts. */
  workerEntry?: string
  /** Extra text bindings. */
  vars?: Record<string, string>
  /** CA certificates (PEM) the worker's outbound TLS trusts. */
  trustedCertificates?: string[]
  /** How often the worker looks for a newer table. Default 250 ms. */
  refreshMs?: number
  /** Where workerd's log lines go. */
  log?: (line: string) => void
}

export interface LocalEdge {
  /** `http://127.0.0.1:PORT` of an entry point (default: the first). */
  url(entryPoint?: string): string
  readonly ports: ReadonlyMap<string, number>
  readonly signer: TableSigner
  readonly publisher: TablePublisher
  publish(table: EdgeTableInput): Promise<PublishResult>
  /** Resolves when workerd exits; rejects never. */
  readonly exited: Promise<number | null>
  readonly pids: number[]
  stop(): Promise<void>
}

export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  const entryPoints = options.entryPoints ?? [{ name: 'web', address: '127.0.0.1:8787' }]
  await mkdir(stateDir, { recursive: true })
  const signer = await loadOrCreateDevSigningKey(join(stateDir, 'signing-key.jwk.json'))
  const publisher = await TablePublisher.open({
    store: options.store,
    signer,
    // A local store has no per-key write limit; a short grace still covers a worker mid-load.
    pointerMinIntervalMs: 0,
    graceMs: 30_000,
  })
  const gc = setInterval(() => void publisher.collectGarbage().catch(() => {}), 30_000)
  gc.unref()

  const runDir = await mkdtemp(join(stateDir, 'workerd-'))
  const kvServer = await serveKvForWorkerd(options.store)
  let cleaned: Promise<void> | null = null
  const cleanup = () =>
    (cleaned ??= (async () => {
      clearInterval(gc)
      await kvServer.close()
      await rm(runDir, { recursive: true, force: true })
    })())
  try {
    await writeFile(join(runDir, 'worker.js'), await bundleWorker(options.workerEntry ?? DEFAULT_WORKER))
    const wrangler = await readWranglerToml()
    const configPath = join(runDir, 'config.capnp')
    await writeFile(
      configPath,
      workerdConfig({
        workerFile: 'worker.js',
        compatibilityDate: wrangler.compatibilityDate,
        compatibilityFlags: wrangler.compatibilityFlags,
        entryPoints,
        vars: {
          TABLE_JWKS: JSON.stringify(signer.jwks),
          TABLE_REFRESH_MS: String(options.refreshMs ?? 250),
          // Locally a KV read takes about a millisecond: the request that starts a refresh waits for
          // it, so a change is served by the first request made `refreshMs` after it was published.
          TABLE_REFRESH_WAIT_MS: '1000',
          ...options.vars,
        },
        kv: { ROUTES: kvServer.address },
        trustedCertificates: options.trustedCertificates,
      }),
    )
    const workerd = await startWorkerd({
      configPath,
      sockets: entryPoints.map((e) => e.name),
      log: options.log,
    })
    void workerd.exited.then(cleanup)
    return {
      url: (name = entryPoints[0]!.name) => {
        const port = workerd.ports.get(name)
        if (port === undefined) throw new Error(`no entry point ${name}`)
        const ep = entryPoints.find((e) => e.name === name)!
        return `${ep.tls ? 'https' : 'http'}://127.0.0.1:${port}`
      },
      ports: workerd.ports,
      signer,
      publisher,
      publish: (table) => publisher.publish(table),
      exited: workerd.exited,
      pids: [workerd.pid],
      stop: async () => {
        await workerd.stop()
        await cleanup()
      },
    }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/** compatibility_date and compatibility_flags of the repo's wrangler.toml (the one source of truth). */
export async function readWranglerToml(
  path = join(REPO_ROOT, 'wrangler.toml'),
): Promise<{ compatibilityDate: string; compatibilityFlags: string[] }> {
  const text = await readFile(path, 'utf8')
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1]
  if (!date) throw new Error(`${path}: no compatibility_date`)
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1] ?? ''
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) }
}
