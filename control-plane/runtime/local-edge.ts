// The edge running on this machine: the worker bundled and served by `workerd serve` with a
// generated config, its ROUTES binding served from a KvStore over loopback, and a publisher that
// signs tables into that store with the local signing key. Used by `npm run edge`, `npm start`
// and the e2e test helpers; `npm run edge -- --emit-workerd DIR` writes the same files for self-hosting.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { serveKvForWorkerd } from '../kv/workerd-kv-server.ts'
import type { KvStore } from '../kv/store.ts'
import type { EdgeTableInput } from '../publish/pack-table.ts'
import { TablePublisher, type PublishResult } from '../publish/publisher.ts'
import { loadOrCreateDevSigningKey, type TableSigner } from '../publish/signing-key.ts'
import { DEFAULT_STATE_DIR, DEV_SIGNING_KEY } from './paths.ts'
import type { WorkerdEntryPoint } from './workerd-config.ts'
import { writeWorkerdEdgeFiles } from './workerd-edge-files.ts'
import { startWorkerd } from './workerd-process.ts'

export { DEFAULT_STATE_DIR, DEFAULT_WORKER, REPO_ROOT } from './paths.ts'

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
  const signer = await loadOrCreateDevSigningKey(join(stateDir, DEV_SIGNING_KEY))
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
    const configPath = await writeWorkerdEdgeFiles(runDir, {
      entryPoints,
      kvAddress: kvServer.address,
      workerEntry: options.workerEntry,
      trustedCertificates: options.trustedCertificates,
      vars: {
        ...localTableVars(signer, options.refreshMs ?? 250),
        ...options.vars,
      },
    })
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

/** The table source's bindings for a local store: frequent checks that the checking request waits for. */
export function localTableVars(signer: TableSigner, refreshMs: number): Record<string, string> {
  return {
    TABLE_JWKS: JSON.stringify(signer.jwks),
    TABLE_REFRESH_MS: String(refreshMs),
    // Locally a KV read takes about a millisecond: the request that starts a refresh waits for
    // it, so a change is served by the first request made `refreshMs` after it was published.
    TABLE_REFRESH_WAIT_MS: '1000',
  }
}
