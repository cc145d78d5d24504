/**
 * `npm run controller -- [flags]`: the control plane inside a cluster. Watches the Traefik CRDs,
 * Services, EndpointSlices and Secrets with client-node informers, compiles on every change
 * (debounced), and — on the replica holding the Lease — signs and publishes the edge table to the
 * sink. Every replica keeps a warm cache; only the leader publishes and writes Events.
 *
 * Flags (environment in brackets):
 *   --kubeconfig PATH          kubeconfig file [KUBECONFIG]; default ~/.kube/config, else the
 *                              in-cluster ServiceAccount (KubeConfig.loadFromDefault)
 *   --in-cluster               use the in-cluster ServiceAccount only
 *   provider flags             --namespaces, --label-selector, --ingress-class, --allow-cross-namespace,
 *                              --allow-external-name-services, --allow-empty-services,
 *                              --native-lb-by-default, --cross-provider-namespaces,
 *                              --disable-cluster-scope-resources (Traefik's meanings)
 *   --sink local|cloudflare    local: the store `wrangler dev` reads (--persist-to, default
 *                              .wrangler/state); cloudflare: Workers KV REST [CLOUDFLARE_ACCOUNT_ID,
 *                              CLOUDFLARE_KV_NAMESPACE_ID, CLOUDFLARE_API_TOKEN, CLOUDFLARE_API_BASE_URL]
 *   --secrets-key PATH         public JWK that middleware secrets (basicAuth users...) are sealed to
 *                              [SECRETS_KEY_FILE]; without it they are withheld (docs/secrets.md)
 *   --beacon-url URL           the edge's base URL: each new pointer is also PUT to its version beacon
 *                              [TABLE_BEACON_URL]; token in TABLE_BEACON_TOKEN or the file TABLE_BEACON_TOKEN_FILE
 *   --pointer-interval-ms N    least time between two pointer writes (default 1000 on cloudflare:
 *                              Workers KV's one write per second per key; 0 on local)
 *   --pointer-ttl S            how long a pointer stays valid for an edge loading it (default 86400:
 *                              a day); signed again every quarter of that (docs/table.md, "Replays")
 *   --signing-key PATH         private JWK or PKCS#8 PEM [SIGNING_KEY_FILE]; default the local dev key
 *                              in --state-dir (what `npm run edge` uses)
 *   --signing-alg ALG          for a PEM key: Ed25519 or ES256; --signing-kid KID optional
 *   --state-dir DIR            default .state
 *   --entrypoints A,B          entry points the table serves (default web,websecure: the worker
 *                              serves web for http and websecure for https requests)
 *   --target workerd|cloudflare  capabilities the table is built for (default: cloudflare with the
 *                              cloudflare sink, else workerd)
 *   --tunnel private|all|off   cloudflare target: which servers the edge reaches through the
 *                              cluster's tunnel (the worker's VPC_NETWORK binding): pod, ClusterIP and
 *                              node addresses and cluster names (default private), every server, or none
 *   --tunnel-host header|url   how the tunnel carries the upstream's Host: as a header (default) or
 *                              the URL's own (docs/deploy.md, "What is assumed")
 *   --lease-namespace NS       [POD_NAMESPACE] default `default`
 *   --lease-name NAME          default traefik-edge-controller
 *   --identity NAME            [POD_NAME] default hostname-pid
 *   --lease-duration S, --renew-deadline S, --retry-period S   default 15, 10, 2 (client-go's)
 *   --no-leader-election       a single replica that always publishes
 *   --ops-port N               /healthz /readyz /metrics on --ops-address:N (default 9000; 0 picks a port)
 *   --ops-address ADDR         the address the ops server listens on (default 127.0.0.1; in a pod
 *                              0.0.0.0, for the kubelet's probes and Prometheus: deploy/controller.yaml)
 *   --debounce-ms N            quiet time before a build (default 10: a build costs what changed, and
 *                              pointer writes are coalesced by --pointer-interval-ms anyway)
 *   --no-events                do not write Kubernetes Events
 *   --event-refresh S          rewrite the Event of a problem that persists every S seconds (default 600), so
 *                              the API server's --event-ttl (1 h by default) never expires it while it lasts
 *   --secret-namespaces NS,... read Secrets only in these namespaces (a ServiceAccount that may read Secrets
 *                              only there: deploy/secrets-in-namespaces); default as the other kinds
 *   --dashboard                serve the dashboard (routers, services, middlewares, TLS options with their
 *                              source objects and diagnostics; explain; last change) at /dashboard/ on the
 *                              ops port (off by default, as Traefik's). On an address other than loopback
 *                              it needs a token: --dashboard-token-file FILE [DASHBOARD_TOKEN_FILE,
 *                              DASHBOARD_TOKEN], asked as `Authorization: Bearer TOKEN` or as a Basic
 *                              password, on every path but /healthz /readyz /metrics; --dashboard-insecure
 *                              serves it without one (Traefik's api.insecure)
 *   --dashboard-host NAME[,NAME] Host names the ops server answers besides loopback names and IP
 *                              addresses (any other Host gets 403: DNS rebinding)
 *   --cloudflare-zone ZONE     [CLOUDFLARE_ZONE_ID] also upload the manifests' certificates (IngressRoute
 *                              tls.secretName, TLSStore) to that zone's custom certificates (leader only;
 *                              token CLOUDFLARE_API_TOKEN[_FILE]; docs/tls.md)
 * Prints `ready OPS_URL` on stdout once the ops server listens; logs go to stderr. SIGINT/SIGTERM
 * release the Lease and stop. Exit 2 on a usage error, 1 when it cannot start.
 *
 * @module
 */

import { hostname } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { KubeConfig } from '@kubernetes/client-node'
import { PROVIDER_FLAGS, providerOptionsFromFlags } from '../compiler/options/flags.ts'
import { ClusterController } from '../controller/kube/controller.ts'
import { controllerScrape } from '../controller/ops/controller-metrics.ts'
import { instrumentPublish } from '../controller/ops/instrument.ts'
import { createOpsMetrics } from '../controller/ops/metrics.ts'
import { startOpsServer } from '../controller/ops/server.ts'
import { cloudflareKvOptionsFromEnv, createCloudflareKvStore } from '../controller/cloudflare/kv-store.ts'
import { dashboardToken, isLoopbackAddress } from '../dashboard/access.ts'
import type { KvStore } from '../kv/store.ts'
import { beaconTokenFromEnv, httpBeacon } from '../publish/beacon.ts'
import { TablePublisher, type PublishResult } from '../publish/publisher.ts'
import { loadSecretsSealer } from '../publish/seal-secrets.ts'
import { loadOrCreateDevSigningKey, loadSigningKey } from '../publish/signing-key.ts'
import { internalDocuments } from '../dashboard/edge-document.ts'
import { certificateSyncer, jsonCertificateState } from '../controller/certs/cloudflare-certificates.ts'
import type { TunnelOptions } from '../table/services.ts'
import { TUNNEL_HOSTS, TUNNEL_MODES } from '../../shared/table/tunnel.ts'
import { DashboardModel } from '../dashboard/model.ts'
import { dashboardHandler } from '../dashboard/server.ts'
import type { LoadResult } from '../manifests/load.ts'
import type { Built } from '../pipeline/built.ts'
import { cloudflareApiOptionsFromEnv } from '../controller/cloudflare/api-client.ts'
import { HealthChecker } from '../health/checker.ts'
import { DEFAULT_STATE_DIR, DEV_SIGNING_KEY, REPO_ROOT } from '../runtime/paths.ts'
import type { CliIO } from './io.ts'

const USAGE = 'usage: npm run controller -- [flags]   (flags: see the top of control-plane/cli/controller.ts)\n'

/** Traefik's conventional names, which the worker serves by scheme (wrangler.toml ENTRYPOINT_BY_SCHEME). */
const DEFAULT_ENTRYPOINTS = 'web,websecure'

export function parseControllerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      ...PROVIDER_FLAGS,
      kubeconfig: { type: 'string' },
      'in-cluster': { type: 'boolean' },
      sink: { type: 'string' },
      'persist-to': { type: 'string' },
      'signing-key': { type: 'string' },
      'signing-alg': { type: 'string' },
      'signing-kid': { type: 'string' },
      'state-dir': { type: 'string' },
      entrypoints: { type: 'string' },
      target: { type: 'string' },
      tunnel: { type: 'string' },
      'tunnel-host': { type: 'string' },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string' },
      identity: { type: 'string' },
      'lease-duration': { type: 'string' },
      'renew-deadline': { type: 'string' },
      'retry-period': { type: 'string' },
      'no-leader-election': { type: 'boolean' },
      'ops-port': { type: 'string' },
      'debounce-ms': { type: 'string' },
      'pointer-interval-ms': { type: 'string' },
      'pointer-ttl': { type: 'string' },
      'beacon-url': { type: 'string' },
      'secrets-key': { type: 'string' },
      'cloudflare-zone': { type: 'string' },
      dashboard: { type: 'boolean' },
      'ops-address': { type: 'string' },
      'dashboard-host': { type: 'string', multiple: true },
      'dashboard-token-file': { type: 'string' },
      'dashboard-insecure': { type: 'boolean' },
      'no-events': { type: 'boolean' },
      'event-refresh': { type: 'string' },
      'secret-namespaces': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const sink = values.sink ?? 'local'
  if (sink !== 'local' && sink !== 'cloudflare') throw new Error(`--sink: "${sink}" is not local or cloudflare`)
  const target = values.target ?? (sink === 'cloudflare' ? 'cloudflare' : 'workerd')
  if (target !== 'workerd' && target !== 'cloudflare') throw new Error(`--target: "${target}" is not workerd or cloudflare`)
  const tunnel = { mode: values.tunnel ?? 'private', host: values['tunnel-host'] ?? 'header' } as TunnelOptions
  if (!TUNNEL_MODES.includes(tunnel.mode)) throw new Error(`--tunnel: "${tunnel.mode}" is not ${TUNNEL_MODES.join(', ')}`)
  if (!TUNNEL_HOSTS.includes(tunnel.host)) throw new Error(`--tunnel-host: "${tunnel.host}" is not ${TUNNEL_HOSTS.join(' or ')}`)
  const seconds = (flag: 'lease-duration' | 'renew-deadline' | 'retry-period' | 'pointer-ttl' | 'event-refresh', fallback: number) => {
    const v = values[flag]
    if (v === undefined) return fallback * 1000
    const n = Number(v)
    if (!(n > 0)) throw new Error(`--${flag}: "${v}" is not a positive number of seconds`)
    return Math.round(n * 1000)
  }
  const int = (flag: 'ops-port' | 'debounce-ms' | 'pointer-interval-ms', fallback: number) => {
    const v = values[flag]
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: "${v}" is not a non-negative integer`)
    return n
  }
  const lease = {
    namespace: values['lease-namespace'] ?? env.POD_NAMESPACE ?? 'default',
    name: values['lease-name'] ?? 'traefik-edge-controller',
    leaseDurationMs: seconds('lease-duration', 15),
    renewDeadlineMs: seconds('renew-deadline', 10),
    retryPeriodMs: seconds('retry-period', 2),
  }
  if (lease.renewDeadlineMs >= lease.leaseDurationMs) throw new Error('--renew-deadline must be shorter than --lease-duration')
  const opsAddress = values['ops-address'] ?? '127.0.0.1'
  const token = dashboardToken(values['dashboard-token-file'], env)
  if (values.dashboard && !isLoopbackAddress(opsAddress) && token === undefined && !values['dashboard-insecure']) {
    throw new Error(
      `--dashboard on --ops-address ${opsAddress} (not loopback) needs a token: --dashboard-token-file FILE (or DASHBOARD_TOKEN_FILE, DASHBOARD_TOKEN), or --dashboard-insecure to serve it to anyone who reaches the port`,
    )
  }
  return {
    help: values.help === true,
    kubeconfig: values.kubeconfig ?? env.KUBECONFIG,
    inCluster: values['in-cluster'] === true,
    provider: providerOptionsFromFlags(values),
    sink,
    target: target as 'workerd' | 'cloudflare',
    persistTo: values['persist-to'],
    signingKey: values['signing-key'] ?? env.SIGNING_KEY_FILE,
    signingAlg: values['signing-alg'],
    signingKid: values['signing-kid'],
    stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
    entryPoints: (values.entrypoints ?? DEFAULT_ENTRYPOINTS)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    tunnel,
    lease: values['no-leader-election'] ? undefined : lease,
    identity: values.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`,
    opsPort: int('ops-port', 9000),
    debounceMs: int('debounce-ms', 10),
    pointerIntervalMs: int('pointer-interval-ms', sink === 'cloudflare' ? 1000 : 0),
    pointerTtlMs: seconds('pointer-ttl', 86_400),
    events: values['no-events'] !== true,
    eventRefreshMs: seconds('event-refresh', 600),
    secretNamespaces:
      values['secret-namespaces'] === undefined
        ? null
        : values['secret-namespaces']
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
    beaconUrl: values['beacon-url'] ?? env.TABLE_BEACON_URL,
    secretsKey: values['secrets-key'] ?? env.SECRETS_KEY_FILE,
    cloudflareZone: values['cloudflare-zone'] ?? env.CLOUDFLARE_ZONE_ID,
    dashboard: values.dashboard === true,
    opsAddress,
    access: {
      hosts: (values['dashboard-host'] ?? [])
        .flatMap((h) => h.split(','))
        .map((h) => h.trim())
        .filter(Boolean),
      ...(token === undefined ? {} : { token }),
    },
  }
}

function kubeConfigFor(args: { kubeconfig?: string; inCluster: boolean }): KubeConfig {
  const kc = new KubeConfig()
  if (args.inCluster) kc.loadFromCluster()
  else if (args.kubeconfig) kc.loadFromFile(args.kubeconfig)
  else kc.loadFromDefault()
  if (kc.getCurrentCluster() === null) throw new Error('no cluster: give --kubeconfig, set KUBECONFIG, or run in a cluster')
  return kc
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let args
  try {
    args = parseControllerArgs(argv)
  } catch (err) {
    io.stderr(`controller: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (args.help) {
    io.stdout(USAGE)
    return 0
  }
  const log = (line: string) => io.stderr(`${line}\n`)
  const stops: Array<() => Promise<void>> = []
  const stopAll = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch((err: unknown) => log(`while stopping: ${(err as Error).message}`))
  }
  try {
    const kc = kubeConfigFor(args)
    const signer = args.signingKey
      ? await loadSigningKey(args.signingKey, args.signingAlg ? { alg: args.signingAlg, ...(args.signingKid ? { kid: args.signingKid } : {}) } : undefined)
      : await loadOrCreateDevSigningKey(join(args.stateDir, DEV_SIGNING_KEY))
    let store: KvStore
    if (args.sink === 'cloudflare') store = createCloudflareKvStore(cloudflareKvOptionsFromEnv())
    // wrangler is loaded only for the local sink: it costs ~200 MB of RSS a cluster deployment never needs.
    else
      store = await (await import('../kv/wrangler-local-store.ts')).openWranglerLocalKv({
        configPath: join(REPO_ROOT, 'wrangler.toml'),
        persistTo: args.persistTo ?? join(REPO_ROOT, '.wrangler/state'),
      })
    stops.push(() => store.close())
    // Workers KV takes one write per second per key: pointer writes are coalesced there by default.
    const beacon = args.beaconUrl ? httpBeacon({ url: args.beaconUrl, token: beaconTokenFromEnv() }) : undefined
    const secrets = args.secretsKey ? await loadSecretsSealer(args.secretsKey) : undefined
    const publisher = await TablePublisher.open({
      store,
      signer,
      pointerMinIntervalMs: args.pointerIntervalMs,
      pointerTtlMs: args.pointerTtlMs,
      ...(beacon ? { beacon } : {}),
      ...(secrets ? { secrets } : {}),
    })
    const gc = setInterval(() => void publisher.collectGarbage().catch((err: unknown) => log(`garbage collection: ${(err as Error).message}`)), 60_000)
    gc.unref()
    stops.push(async () => clearInterval(gc))
    // Pointers expire (replays of old ones are refused): the leader's is signed again before then.
    const fresh = setInterval(() => {
      if (controller.state().leader) void publisher.refresh().catch((err: unknown) => log(`refreshing the table pointer: ${(err as Error).message}`))
    }, publisher.refreshIntervalMs)
    fresh.unref()
    stops.push(async () => clearInterval(fresh))
    const metrics = createOpsMetrics()
    let lastDropped = ''
    const publish = instrumentPublish(metrics, async (table: Parameters<TablePublisher['publish']>[0]) => {
      const result = await publisher.publish(table)
      if (result.beacon && 'error' in result.beacon) log(`${result.beacon.error} (edges learn of the table from KV instead; retried with the next publish)`)
      // Hosts too large for a KV value were left out, the rest published: said whenever that changes.
      const dropped = (result.dropped ?? []).map((d) => d.message).join('\n')
      if (dropped !== lastDropped && dropped !== '') log(dropped)
      lastDropped = dropped
      return result
    })
    // Active health checks (control-plane/health), on the leader: a status change goes into the
    // next build's endpoints (only the shards holding that service's servers are rewritten).
    const checker = new HealthChecker({ report: log, onChange: (state) => controller.state().leader && controller.setHealth(state) })
    stops.push(async () => checker.stop())
    // The manifests' certificates to the zone's custom certificates (leader only), beside the table.
    const certificates: ReturnType<typeof certificateSyncer> | undefined = args.cloudflareZone
      ? certificateSyncer({
          ...cloudflareApiOptionsFromEnv(),
          zoneId: args.cloudflareZone,
          state: jsonCertificateState({
            get: async (k) => (await store.get([k])).get(k) ?? null,
            put: (k, v) => store.put([[k, v]]),
          }),
          mayRun: (): boolean => controller.state().leader,
          report: log,
        })
      : undefined
    const dashboard = args.dashboard ? new DashboardModel({ provider: args.provider, entryPoints: args.entryPoints, target: args.target }) : undefined
    const controller: ClusterController = new ClusterController({
      kc,
      provider: args.provider,
      edge: { target: args.target, entryPoints: args.entryPoints, ...(args.tunnel ? { tunnel: args.tunnel } : {}) },
      sealer: secrets ?? null,
      documents: internalDocuments(),
      publish: (built) => publish(built.table),
      onBuild: (build) => {
        checker.updateServices(build.config(), build.fromScratch ? Object.keys(build.config().http?.services ?? {}) : build.changedServices)
        if (certificates && build.certificatesChanged) certificates.offer(build.config())
      },
      observeBuild: (seconds) => metrics.compileDuration.observe(seconds),
      ...(dashboard
        ? {
            observeSnapshot: (loaded: LoadResult, built: Built) => dashboard.show(loaded, built),
            observePublished: (built: Built, result: PublishResult) => dashboard.published(built, result),
          }
        : {}),
      identity: args.identity,
      ...(args.lease ? { lease: args.lease } : {}),
      debounceMs: args.debounceMs,
      events: args.events,
      eventRefreshMs: args.eventRefreshMs,
      secretNamespaces: args.secretNamespaces,
      log,
    })
    controller.start()
    stops.push(() => controller.stop())
    const ops = await startOpsServer({
      registry: metrics.registry,
      ...(dashboard ? { handler: dashboardHandler(dashboard, { prefix: '/dashboard' }) } : {}),
      readiness: () => controller.state(),
      beforeScrape: controllerScrape(metrics, controller),
      port: args.opsPort,
      host: args.opsAddress,
      access: args.access,
    })
    stops.push(() => ops.close())
    log(`controller ${args.identity}: watching ${kc.getCurrentCluster()!.server}; publishing to ${args.sink} (key ${signer.kid})`)
    io.stdout(`ready ${ops.url}\n`)
  } catch (err) {
    log(`controller: ${(err as Error).message}`)
    await stopAll()
    return 1
  }
  return new Promise((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      void stopAll().then(() => resolve(0))
    }
    process.removeAllListeners('SIGINT')
    process.removeAllListeners('SIGTERM')
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

if (import.meta.main) {
  process.exit(
    await main(process.argv.slice(2), {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    }),
  )
}
