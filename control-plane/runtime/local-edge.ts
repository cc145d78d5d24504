// The edge running on this machine: the worker bundled and served by `workerd serve` with a
// generated config, its ROUTES binding served from a KvStore over loopback, and a publisher that
// signs tables into that store with the local signing key. Used by `npm run edge`, `npm start`
// and the e2e test helpers; `npm run edge -- --emit-workerd DIR` writes the same files for self-hosting.
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { serveKvForWorkerd } from '../kv/workerd-kv-server.ts'
import type { KvStore } from '../kv/store.ts'
import type { EdgeTableInput } from '../../shared/kv/pack-table.ts'
import { TablePublisher, type PublishResult } from '../publish/publisher.ts'
import { loadOrCreateDevSigningKey, type TableSigner } from '../publish/signing-key.ts'
import { loadOrCreateDevSecretsKey, SECRETS_KEY_BINDING, type SecretsKeyPair } from '../publish/seal-secrets.ts'
import { DEFAULT_STATE_DIR, DEV_SECRETS_KEY, DEV_SIGNING_KEY } from './paths.ts'
import { METRICS_SOCKET, type WorkerdChannel, type WorkerdEntryPoint, type WorkerdSocketTls } from './workerd-config.ts'
import { writeWorkerdEdgeFiles } from './workerd-edge-files.ts'
import { startWorkerd, type WorkerdProcess } from './workerd-process.ts'

export { DEFAULT_STATE_DIR, DEFAULT_WORKER, REPO_ROOT } from './paths.ts'

/** What a table needs of the worker's outbound connections (a Built's fields of the same names). */
export interface OutboundTls {
  trustedCertificates: readonly string[]
  channels: readonly WorkerdChannel[]
  /**
   * Plain-HTTP upstreams given a fixed-address service (workerd-config.ts). Taken when workerd
   * starts (or restarts for the rest): upstreams that appear later use the UpstreamPool object
   * until then, so a new address never costs a restart.
   */
  directUpstreams?: readonly string[]
}

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
  /** CA certificates (PEM) the worker's outbound TLS always trusts. */
  trustedCertificates?: string[]
  /** What the first table needs of the outbound (what trust() later replaces; its directUpstreams are fixed until a restart). */
  outbound?: OutboundTls
  /** How often the worker looks for a newer table. Default 250 ms. */
  refreshMs?: number
  /** Where workerd's log lines go. */
  log?: (line: string) => void
  /** host:port (port 0: any) of an internal socket serving Prometheus `GET /metrics`. */
  metricsAddress?: string
}

export interface LocalEdge {
  /** `http://127.0.0.1:PORT` of an entry point (default: the first). */
  url(entryPoint?: string): string
  /** Entry point -> bound port; the same across restarts. */
  readonly ports: ReadonlyMap<string, number>
  readonly signer: TableSigner
  /** The key table secrets are sealed to; `binding` is what the worker's SECRETS_KEY holds. */
  readonly secrets: SecretsKeyPair
  readonly publisher: TablePublisher
  publish(table: EdgeTableInput): Promise<PublishResult>
  /**
   * Gives the outbound what a table needs: CA certificates the default outbound trusts besides
   * the configured ones (forwardAuth tls.ca), and each serversTransport's own network (its CAs
   * and client certificate). workerd reads them at start, so a change restarts it on the same
   * ports. Resolves with whether it restarted.
   */
  trust(outbound: OutboundTls): Promise<boolean>
  /**
   * Serves an HTTPS entry point with other TLS settings (certificate, options). workerd reads them
   * at start, so a change restarts it on the same ports. Resolves with whether it restarted.
   */
  secure(entryPoint: string, tls: WorkerdSocketTls): Promise<boolean>
  /** Resolves when workerd exits other than by stop() or trust(): a crash. */
  readonly exited: Promise<number | null>
  /** The running workerd's process id. */
  readonly pid: number
  /** The generated workerd config it runs. */
  readonly configPath: string
  /** `http://127.0.0.1:PORT/metrics` when a metrics socket was asked for. */
  readonly metricsUrl?: string
  stop(): Promise<void>
}

export async function startLocalEdge(options: LocalEdgeOptions): Promise<LocalEdge> {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  await mkdir(stateDir, { recursive: true })
  const signer = await loadOrCreateDevSigningKey(join(stateDir, DEV_SIGNING_KEY))
  const secrets = await loadOrCreateDevSecretsKey(join(stateDir, DEV_SECRETS_KEY))
  const publisher = await TablePublisher.open({
    store: options.store,
    signer,
    secrets: secrets.sealer,
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

  let entryPoints = options.entryPoints ?? [{ name: 'web', address: '127.0.0.1:8787' }]
  let metricsAddress = options.metricsAddress
  const base = options.trustedCertificates ?? []
  const planOf = (outbound: OutboundTls | undefined) => ({
    extra: [...new Set(outbound?.trustedCertificates ?? [])].filter((c) => !base.includes(c)).sort(),
    channels: [...(outbound?.channels ?? [])].sort((a, b) => (a.binding < b.binding ? -1 : 1)),
  })
  let plan = planOf(options.outbound)
  let direct = [...(options.outbound?.directUpstreams ?? [])]
  let workerd: WorkerdProcess | null = null
  let configPath = ''
  let reportCrash: (code: number | null) => void = () => {}
  const exited = new Promise<number | null>((resolve) => (reportCrash = resolve))
  const launch = async () => {
    configPath = await writeWorkerdEdgeFiles(runDir, {
      entryPoints,
      kvAddress: kvServer.address,
      workerEntry: options.workerEntry,
      trustedCertificates: [...base, ...plan.extra],
      channels: plan.channels,
      directUpstreams: direct,
      vars: { ...localTableVars(signer, options.refreshMs ?? 250), [SECRETS_KEY_BINDING]: secrets.binding, ...options.vars },
      ...(metricsAddress ? { metricsAddress } : {}),
      // A Cloudflare-target table reaches its pod addresses through the tunnel: locally, the stand-in.
      tunnelStandIn: true,
    })
    const proc = await startWorkerd({ configPath, sockets: [...entryPoints.map((e) => e.name), ...(metricsAddress ? [METRICS_SOCKET] : [])], log: options.log })
    workerd = proc
    void proc.exited.then((code) => {
      if (workerd !== proc) return
      workerd = null
      reportCrash(code)
      void cleanup()
    })
    // Port 0 is resolved once: a restart listens where clients already connect.
    entryPoints = entryPoints.map((ep) => ({ ...ep, address: `${ep.address.replace(/:\d+$/, '')}:${proc.ports.get(ep.name)}` }))
    if (metricsAddress) metricsAddress = `${metricsAddress.replace(/:\d+$/, '')}:${proc.ports.get(METRICS_SOCKET)}`
  }
  const halt = async () => {
    const proc = workerd
    workerd = null
    await proc?.stop()
  }

  try {
    await launch()
  } catch (err) {
    await cleanup()
    throw err
  }
  const ports = new Map(entryPoints.map((ep) => [ep.name, Number(ep.address.slice(ep.address.lastIndexOf(':') + 1))]))
  return {
    url: (name = entryPoints[0]!.name) => {
      const ep = entryPoints.find((e) => e.name === name)
      if (!ep) throw new Error(`no entry point ${name}`)
      return `${ep.tls ? 'https' : 'http'}://127.0.0.1:${ports.get(name)}`
    },
    ports,
    signer,
    secrets,
    publisher,
    publish: (table) => publisher.publish(table),
    trust: async (outbound) => {
      const wanted = planOf(outbound)
      if (JSON.stringify(wanted) === JSON.stringify(plan)) return false
      plan = wanted
      direct = [...(outbound.directUpstreams ?? direct)]
      await halt()
      await launch()
      return true
    },
    secure: async (name, tls) => {
      const ep = entryPoints.find((e) => e.name === name)
      if (!ep) throw new Error(`no entry point ${name}`)
      if (JSON.stringify(ep.tls) === JSON.stringify(tls)) return false
      entryPoints = entryPoints.map((e) => (e.name === name ? { ...e, tls } : e))
      await halt()
      await launch()
      return true
    },
    exited,
    ...(metricsAddress ? { metricsUrl: `http://${metricsAddress}/metrics` } : {}),
    get pid() {
      return workerd?.pid ?? -1
    },
    get configPath() {
      return configPath
    },
    stop: async () => {
      await halt()
      await cleanup()
    },
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
