/**
 * `npm run controller -- [flags]`: the control plane inside a cluster. Watches the Traefik CRDs,
 * Services, EndpointSlices and Secrets with client-node informers, compiles on every change
 * (debounced), and — on the replica holding the Lease — signs and publishes the edge table to the
 * sink. Every replica keeps a warm cache; only the leader publishes and writes Events.
 * Every flag and environment variable: `npm run controller -- --help` (declared below).
 *
 * @module
 */

import { hostname } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '../controller/kube/client-node/load.ts'
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
import { TUNNEL_HOSTS, TUNNEL_MODES } from '../../shared/table/tunnel.ts'
import { DashboardModel } from '../dashboard/model.ts'
import { dashboardHandler } from '../dashboard/server.ts'
import type { LoadResult } from '../manifests/load.ts'
import type { Built } from '../pipeline/built.ts'
import { cloudflareApiOptionsFromEnv } from '../controller/cloudflare/api-client.ts'
import { HealthChecker } from '../health/checker.ts'
import { DEFAULT_STATE_DIR, DEV_SIGNING_KEY, REPO_ROOT } from '../runtime/paths.ts'
import { type CliIO, commaList, count, defineCommand, type Parsed, port, runAsProcess, seconds } from './command.ts'
import { WRANGLER_ENVIRONMENT } from './environment.ts'
import { PROVIDER_FLAGS, providerOptionsFromFlags } from './provider-flags.ts'

/** Traefik's conventional names, which the worker serves by scheme (wrangler.toml ENTRYPOINT_BY_SCHEME). */
const DEFAULT_ENTRYPOINTS = 'web,websecure'

const sink = 'the table and where it goes'
const lease = 'leader election (a Lease, as client-go)'
const ops = 'ops server, dashboard and Events'

export const controllerCommand = defineCommand({
  name: 'controller',
  usage: ['npm run controller -- [flags]'],
  about:
    'The control plane inside a cluster: watches the Traefik CRDs, Services, EndpointSlices and Secrets, compiles on every change and, on the replica holding the Lease, signs and publishes the edge table to the sink. Prints `ready OPS_URL` on stdout once the ops server listens; logs go to stderr; SIGINT or SIGTERM release the Lease and stop (docs/cluster.md, docs/deploy.md).',
  flags: {
    kubeconfig: {
      type: 'string',
      value: 'PATH',
      env: ['KUBECONFIG'],
      defaultText: '~/.kube/config, else the in-cluster ServiceAccount',
      help: 'the kubeconfig file',
    },
    'in-cluster': { type: 'boolean', help: 'use the in-cluster ServiceAccount only' },
    ...PROVIDER_FLAGS,
    sink: {
      type: 'string',
      choices: ['local', 'cloudflare'],
      default: 'local',
      group: sink,
      help: "local: the store `wrangler dev` reads (--persist-to); cloudflare: Workers KV's REST API (CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID, CLOUDFLARE_API_TOKEN)",
    },
    'persist-to': {
      type: 'string',
      value: 'DIR',
      defaultText: '.wrangler/state',
      group: sink,
      help: "--sink local: the local KV state, as wrangler dev's flag",
    },
    target: {
      type: 'string',
      choices: ['workerd', 'cloudflare'],
      defaultText: 'cloudflare with --sink cloudflare, else workerd',
      group: sink,
      help: 'the runtime whose capabilities the table is built for',
    },
    entrypoints: {
      type: 'string',
      value: 'A,B',
      default: DEFAULT_ENTRYPOINTS,
      group: sink,
      help: 'the entry points the table serves (the worker serves web for http and websecure for https requests)',
    },
    tunnel: {
      type: 'string',
      choices: TUNNEL_MODES,
      default: 'private',
      group: sink,
      help: "cloudflare target: which servers the edge reaches through the cluster's tunnel (the VPC_NETWORK binding): pod, ClusterIP and node addresses and cluster names (private), every server (all), or none (off)",
    },
    'tunnel-host': {
      type: 'string',
      choices: TUNNEL_HOSTS,
      default: 'header',
      group: sink,
      help: 'how the tunnel carries the upstream\'s Host: as a header, or the URL\'s own (docs/deploy.md, "What is assumed")',
    },
    'signing-key': {
      type: 'string',
      value: 'PATH',
      env: ['SIGNING_KEY_FILE'],
      defaultText: 'the local dev key in --state-dir, as npm run edge uses',
      group: sink,
      help: 'the private key the table is signed with: a JWK or a PKCS#8 PEM',
    },
    'signing-alg': { type: 'string', value: 'Ed25519|ES256', group: sink, help: "a PEM key's algorithm" },
    'signing-kid': { type: 'string', value: 'KID', group: sink, help: "a PEM key's kid (with --signing-alg)" },
    'state-dir': { type: 'string', value: 'DIR', defaultText: '.state', group: sink, help: 'where the local dev signing key is kept' },
    'secrets-key': {
      type: 'string',
      value: 'PATH',
      env: ['SECRETS_KEY_FILE'],
      group: sink,
      help: 'the public JWK middleware secrets (basicAuth users...) are sealed to; without it they are withheld (docs/secrets.md)',
    },
    'beacon-url': {
      type: 'string',
      value: 'URL',
      env: ['TABLE_BEACON_URL'],
      group: sink,
      help: "the edge's base URL: each new pointer is also PUT to its version beacon (token: TABLE_BEACON_TOKEN or TABLE_BEACON_TOKEN_FILE)",
    },
    'pointer-interval-ms': {
      type: 'string',
      value: 'N',
      convert: count,
      defaultText: "1000 with --sink cloudflare (Workers KV's one write per second per key), else 0",
      group: sink,
      help: 'the least time between two pointer writes',
    },
    'pointer-ttl': {
      type: 'string',
      value: 'S',
      convert: seconds,
      default: '86400',
      group: sink,
      help: 'how long a pointer stays valid for an edge loading it; signed again every quarter of that (docs/table.md, "Replays")',
    },
    'cloudflare-zone': {
      type: 'string',
      value: 'ZONE',
      env: ['CLOUDFLARE_ZONE_ID'],
      group: sink,
      help: "also upload the manifests' certificates (IngressRoute tls.secretName, TLSStore) to that zone's custom certificates (leader only; CLOUDFLARE_API_TOKEN; docs/tls.md)",
    },
    'debounce-ms': {
      type: 'string',
      value: 'N',
      convert: count,
      default: '10',
      group: sink,
      help: 'quiet time before a build (a build costs what changed; pointer writes are coalesced by --pointer-interval-ms anyway)',
    },
    'lease-namespace': { type: 'string', value: 'NS', env: ['POD_NAMESPACE'], default: 'default', group: lease, help: "the Lease's namespace" },
    'lease-name': { type: 'string', value: 'NAME', default: 'traefik-edge-controller', group: lease, help: "the Lease's name" },
    identity: { type: 'string', value: 'NAME', env: ['POD_NAME'], defaultText: 'HOSTNAME-PID', group: lease, help: "this replica's name in the Lease" },
    'lease-duration': {
      type: 'string',
      value: 'S',
      convert: seconds,
      default: '15',
      group: lease,
      help: "how long a Lease holds without renewal (client-go's default)",
    },
    'renew-deadline': {
      type: 'string',
      value: 'S',
      convert: seconds,
      default: '10',
      group: lease,
      help: 'how long the leader keeps trying to renew before it steps down (shorter than --lease-duration)',
    },
    'retry-period': { type: 'string', value: 'S', convert: seconds, default: '2', group: lease, help: 'how often the Lease is tried' },
    'no-leader-election': { type: 'boolean', group: lease, help: 'a single replica that always publishes' },
    'ops-port': {
      type: 'string',
      value: 'N',
      convert: port,
      default: '9000',
      group: ops,
      help: '/healthz /readyz /metrics on --ops-address:N (0: any free port)',
    },
    'ops-address': {
      type: 'string',
      value: 'ADDR',
      default: '127.0.0.1',
      group: ops,
      help: "the ops server's address (in a pod 0.0.0.0, for the kubelet's probes and Prometheus: deploy/controller.yaml)",
    },
    dashboard: {
      type: 'boolean',
      group: ops,
      help: "serve the dashboard and Traefik's API at /dashboard/ on the ops port (off by default, as Traefik's); on an address other than loopback it needs a token or --dashboard-insecure",
    },
    'dashboard-token-file': {
      type: 'string',
      value: 'FILE',
      env: ['DASHBOARD_TOKEN_FILE'],
      group: ops,
      help: 'ask for the token in FILE (Authorization: Bearer TOKEN, or as a Basic password) on every path but /healthz /readyz /metrics; DASHBOARD_TOKEN gives the token itself',
    },
    'dashboard-insecure': { type: 'boolean', group: ops, help: "serve the dashboard without a token to anyone who reaches the port (Traefik's api.insecure)" },
    'dashboard-host': {
      type: 'string',
      value: 'NAME[,NAME...]',
      multiple: true,
      group: ops,
      help: 'Host names the ops server answers besides loopback names and IP addresses (any other Host gets 403: DNS rebinding)',
    },
    'no-events': { type: 'boolean', group: ops, help: 'do not write Kubernetes Events' },
    'event-refresh': {
      type: 'string',
      value: 'S',
      convert: seconds,
      default: '600',
      group: ops,
      help: "rewrite the Event of a problem that persists this often, so that the API server's --event-ttl (1 h by default) never expires it while it lasts",
    },
    'secret-namespaces': {
      type: 'string',
      value: 'NS[,NS...]',
      defaultText: 'as the other kinds',
      group: ops,
      help: 'read Secrets only in these namespaces (a ServiceAccount that may read Secrets only there: deploy/secrets-in-namespaces)',
    },
  },
  environment: {
    CLOUDFLARE_ACCOUNT_ID: '--sink cloudflare: the account (or CLOUDFLARE_ACCOUNT_ID_FILE: a file holding it, as a mounted Secret)',
    CLOUDFLARE_KV_NAMESPACE_ID: '--sink cloudflare: the KV namespace (or CLOUDFLARE_KV_NAMESPACE_ID_FILE)',
    CLOUDFLARE_API_TOKEN: '--sink cloudflare and --cloudflare-zone: the API token (or CLOUDFLARE_API_TOKEN_FILE)',
    CLOUDFLARE_API_BASE_URL: "Cloudflare's API (default https://api.cloudflare.com/client/v4)",
    TABLE_BEACON_TOKEN: "--beacon-url: the token the beacon's PUT carries (or TABLE_BEACON_TOKEN_FILE)",
    DASHBOARD_TOKEN: 'the dashboard token itself, when no token file is given',
    ...WRANGLER_ENVIRONMENT,
  },
  exits: { 0: 'stopped by SIGINT or SIGTERM', 1: 'it cannot start (cluster, key, sink, ops port)', 2: 'usage error' },
})

export function parseControllerArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  return controllerArgs(controllerCommand.parse(argv, env), env)
}

/** The command's arguments from its flags; throws on a usage error. */
function controllerArgs({ values }: Parsed<typeof controllerCommand.spec.flags>, env: NodeJS.ProcessEnv) {
  const sink = values.sink
  const lease = {
    namespace: values['lease-namespace'],
    name: values['lease-name'],
    leaseDurationMs: Math.round(values['lease-duration'] * 1000),
    renewDeadlineMs: Math.round(values['renew-deadline'] * 1000),
    retryPeriodMs: Math.round(values['retry-period'] * 1000),
  }
  if (lease.renewDeadlineMs >= lease.leaseDurationMs) throw new Error('--renew-deadline must be shorter than --lease-duration')
  const opsAddress = values['ops-address']
  const token = dashboardToken(values['dashboard-token-file'], env)
  if (values.dashboard && !isLoopbackAddress(opsAddress) && token === undefined && !values['dashboard-insecure']) {
    throw new Error(
      `--dashboard on --ops-address ${opsAddress} (not loopback) needs a token: --dashboard-token-file FILE (or DASHBOARD_TOKEN_FILE, DASHBOARD_TOKEN), or --dashboard-insecure to serve it to anyone who reaches the port`,
    )
  }
  return {
    kubeconfig: values.kubeconfig,
    inCluster: values['in-cluster'],
    provider: providerOptionsFromFlags(values),
    sink,
    target: values.target ?? (sink === 'cloudflare' ? 'cloudflare' : 'workerd'),
    persistTo: values['persist-to'],
    signingKey: values['signing-key'],
    signingAlg: values['signing-alg'],
    signingKid: values['signing-kid'],
    stateDir: values['state-dir'] ?? DEFAULT_STATE_DIR,
    entryPoints: commaList(values.entrypoints),
    tunnel: { mode: values.tunnel, host: values['tunnel-host'] },
    lease: values['no-leader-election'] ? undefined : lease,
    identity: values.identity ?? `${hostname()}-${process.pid}`,
    opsPort: values['ops-port'],
    debounceMs: values['debounce-ms'],
    pointerIntervalMs: values['pointer-interval-ms'] ?? (sink === 'cloudflare' ? 1000 : 0),
    pointerTtlMs: Math.round(values['pointer-ttl'] * 1000),
    events: !values['no-events'],
    eventRefreshMs: Math.round(values['event-refresh'] * 1000),
    secretNamespaces: values['secret-namespaces'] === undefined ? null : commaList(values['secret-namespaces']),
    beaconUrl: values['beacon-url'],
    secretsKey: values['secrets-key'],
    cloudflareZone: values['cloudflare-zone'],
    dashboard: values.dashboard,
    opsAddress,
    access: {
      hosts: commaList(values['dashboard-host']),
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

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return controllerCommand.run(
    argv,
    io,
    (parsed) => controllerArgs(parsed, process.env),
    (args) => control(args, io),
  )
}

async function control(args: ReturnType<typeof controllerArgs>, io: CliIO): Promise<number> {
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

if (import.meta.main) await runAsProcess(main)
