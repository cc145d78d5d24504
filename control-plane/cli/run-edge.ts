// `npm run edge` and `npm start` without their argument parsing: file-mode control plane on the
// manifests, the local KV store `wrangler dev` reads, and the worker on workerd serving one entry
// point on 127.0.0.1. Everything it starts, stop() stops.
import { join } from 'node:path'
import type { ProviderOptions } from '../compiler/index.ts'
import { openWranglerLocalKv } from '../kv/wrangler-local-store.ts'
import type { KvStore } from '../kv/store.ts'
import { writeDevVars } from '../runtime/dev-vars.ts'
import { edgeTableStage } from '../pipeline/edge-table.ts'
import type { Built } from '../pipeline/built.ts'
import { startFileMode } from '../pipeline/file-mode.ts'
import { loadOrCreateDefaultCert } from '../runtime/default-cert.ts'
import { DEFAULT_STATE_DIR, REPO_ROOT, startLocalEdge } from '../runtime/local-edge.ts'
import type { WorkerdSocketTls } from '../runtime/workerd-config.ts'
import { writeLocalWranglerConfig } from '../runtime/wrangler-local-config.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import { DashboardModel } from '../dashboard/model.ts'
import { serveDashboard } from '../dashboard/server.ts'
import type { AccessOptions } from '../dashboard/access.ts'
import { activeHealth } from '../health/active-health.ts'
import type { ApiFacts } from '../api/document.ts'
import { internalDocuments } from '../dashboard/edge-document.ts'

export interface RunEdgeOptions {
  manifests: string[]
  provider: Partial<ProviderOptions>
  port: number
  entryPoint: string
  /** Also serve HTTPS on 127.0.0.1:httpsPort for `httpsEntryPoint` (default `websecure`). */
  httpsPort?: number
  httpsEntryPoint?: string
  /** The runtime the table is built for (default workerd; cloudflare: through the tunnel stand-in). */
  target?: EdgeTarget
  /** As `wrangler dev --persist-to`. Default `.wrangler/state`. */
  persistTo?: string
  /** Signing key and generated workerd config. Default `.state`. */
  stateDir?: string
  /** The dashboard's port on 127.0.0.1 (0 or absent: any free port; null: no dashboard). */
  dashboardPort?: number | null
  /** Host names it answers besides loopback ones and IP literals, and the token it asks for (../dashboard/access.ts). */
  dashboardAccess?: AccessOptions
  /** Lines for stderr. */
  report: (line: string) => void
  /** Serve Prometheus metrics on 127.0.0.1:metricsPort/metrics (an internal socket). */
  metricsPort?: number
  /** Observability bindings for the worker (edge-worker/src/observability/settings.ts). */
  observability?: Record<string, string>
}

export interface RunningEdge {
  url: string
  /** The HTTPS entry point's URL, when one is served. */
  httpsUrl?: string
  /** Prometheus metrics URL, when asked for. */
  metricsUrl?: string
  /** Resolves when workerd exits on its own (a crash). */
  readonly exited: Promise<number | null>
  /** The dashboard's URL (control-plane/dashboard), unless disabled or its port was taken. */
  dashboardUrl?: string
  stop(): Promise<void>
}

export async function runEdge(options: RunEdgeOptions): Promise<RunningEdge> {
  const persistTo = options.persistTo ?? join(REPO_ROOT, '.wrangler/state')
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR
  const stops: Array<() => Promise<void> | void> = []
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s()
  }
  const httpsEntryPoint = options.httpsPort === undefined ? undefined : (options.httpsEntryPoint ?? 'websecure')
  const entryPointNames = httpsEntryPoint === undefined ? [options.entryPoint] : [options.entryPoint, httpsEntryPoint]
  // Active health checks (control-plane/health): servers' status published into the endpoints table.
  const health = activeHealth({ report: options.report })
  stops.push(() => health.stop())
  // The dashboard's model keeps what each build loaded and what was published (control-plane/dashboard).
  const dashboard = new DashboardModel({ provider: options.provider, entryPoints: entryPointNames })
  // What Traefik's API says of this process (entry point addresses once they listen, features).
  const vars = options.observability ?? {}
  const features = {
    metrics: options.metricsPort !== undefined ? 'Prometheus' : '',
    tracing: vars.TRACING_OTLP_ENDPOINT ? 'OpenTelemetry' : '',
    accessLog: vars.ACCESS_LOG === 'true',
  }
  let facts: ApiFacts = {
    entryPoints: [
      { name: options.entryPoint, ...(options.port ? { address: `127.0.0.1:${options.port}` } : {}) },
      ...(httpsEntryPoint === undefined ? [] : [{ name: httpsEntryPoint, ...(options.httpsPort ? { address: `127.0.0.1:${options.httpsPort}` } : {}) }]),
    ],
    features,
  }
  dashboard.setApiFacts(facts)
  const build = dashboard.pipeline(
    options.provider,
    health.stage(
      edgeTableStage({
        entryPoint: options.entryPoint,
        entryPoints: entryPointNames,
        httpsEntryPoint,
        ...(options.target ? { target: options.target } : {}),
        documents: internalDocuments(() => facts),
      }),
    ),
  )
  // Unreadable manifests fail here, before any process is started.
  const initial = await build(options.manifests).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  const defaultCert = httpsEntryPoint === undefined ? null : await loadOrCreateDefaultCert(stateDir)
  // The socket's certificate: the TLSStore default or the manifests' certificate, else Traefik's generated default.
  const socketTls = (built: Built): WorkerdSocketTls | undefined =>
    built.listenerTls && defaultCert ? { ...(built.listenerTls.keypair ?? defaultCert), ...built.listenerTls.options } : undefined
  try {
    const store: KvStore = await openWranglerLocalKv({ configPath: join(REPO_ROOT, 'wrangler.toml'), persistTo })
    stops.push(() => store.close())
    const edge = await startLocalEdge({
      store,
      stateDir,
      outbound: initial,
      entryPoints: [
        { name: options.entryPoint, address: `127.0.0.1:${options.port}` },
        ...(httpsEntryPoint === undefined ? [] : [{ name: httpsEntryPoint, address: `127.0.0.1:${options.httpsPort}`, tls: socketTls(initial) }]),
      ],
      log: (line) => options.report(`[workerd] ${line}`),
      ...(options.observability ? { vars: options.observability } : {}),
      ...(options.metricsPort === undefined ? {} : { metricsAddress: `127.0.0.1:${options.metricsPort}` }),
    })
    stops.push(() => edge.stop())
    const address = (name: string) => new URL(edge.url(name)).host
    facts = { entryPoints: entryPointNames.map((name) => ({ name, address: address(name) })), features }
    dashboard.setApiFacts(facts)
    // `wrangler dev` reads the default store: give it the key that verifies the tables there, and
    // a configuration whose tunnel binding is the local stand-in (`npm run -s wrangler -- dev -c wrangler.local.json`).
    if (options.persistTo === undefined) {
      await writeDevVars(join(REPO_ROOT, '.dev.vars'), { TABLE_JWKS: JSON.stringify(edge.signer.jwks), SECRETS_KEY: edge.secrets.binding })
      await writeLocalWranglerConfig()
    }
    const publish = async (built: Built) => {
      if (await edge.trust(built)) {
        options.report(
          `workerd restarted: the serversTransports' TLS (${built.channels.length} with their own CAs or client certificate) or the trusted CA certificates changed`,
        )
      }
      const tls = socketTls(built)
      if (httpsEntryPoint !== undefined && tls && (await edge.secure(httpsEntryPoint, tls))) {
        options.report(`workerd restarted: the ${httpsEntryPoint} certificate or TLS options changed`)
      }
      return edge.publish(built.table)
    }
    const mode = await startFileMode({ paths: options.manifests, build, initial, publish: health.publish(dashboard.observe(publish)), report: options.report })
    stops.push(() => mode.stop())
    let dashboardUrl: string | undefined
    if (options.dashboardPort !== null) {
      // A dashboard that cannot listen is reported; the edge serves regardless.
      const server = await serveDashboard(dashboard, options.dashboardPort ?? 0, '127.0.0.1', options.dashboardAccess).catch(
        (err: unknown) => void options.report(`dashboard not served: ${(err as Error).message}`),
      )
      if (server) stops.push(() => server.close()), (dashboardUrl = server.url)
    }
    return {
      url: edge.url(),
      ...(dashboardUrl ? { dashboardUrl } : {}),
      ...(httpsEntryPoint === undefined ? {} : { httpsUrl: edge.url(httpsEntryPoint) }),
      ...(edge.metricsUrl ? { metricsUrl: edge.metricsUrl } : {}),
      exited: edge.exited,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}
