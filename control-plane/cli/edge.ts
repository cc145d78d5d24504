/**
 * `npm run edge -- --manifests PATH... [--port N] [--entrypoint NAME] [provider flags]`: the
 * control plane in file mode on the manifests, the local KV store (the one `wrangler dev` reads)
 * and the edge worker on workerd, serving HTTP on 127.0.0.1:PORT. Prints `ready URL` on stdout
 * once it serves; everything else goes to stderr. A manifest change is served within 2 s; a
 * change that cannot be parsed keeps the last good configuration. Stops cleanly on SIGINT and
 * SIGTERM. Exit 1 when the manifests cannot be read at start, 2 on a usage error.
 *
 * @module
 */

import { ManifestError } from '../manifests/load.ts'
import { runEdge } from './run-edge.ts'
import { WORKERD_ENVIRONMENT, WRANGLER_ENVIRONMENT } from './environment.ts'
import { loadOrCreateDefaultCert } from '../runtime/default-cert.ts'
import { edgeTableStage } from '../pipeline/edge-table.ts'
import { DEFAULT_STATE_DIR } from '../runtime/paths.ts'
import { manifestPipeline } from '../pipeline/pipeline.ts'
import { emitSelfHostedEdge } from '../runtime/self-hosted.ts'
import { planSocketTls } from '../runtime/workerd-tls.ts'
import { onShutdown } from '../runtime/shutdown.ts'
import { observabilityVars } from '../../shared/observability/vars.ts'
import { dashboardToken } from '../dashboard/access.ts'
import { type CliIO, commaList, defineCommand, type Parsed, port, runAsProcess } from './command.ts'
import { PROVIDER_FLAGS, providerOptionsFromFlags } from './provider-flags.ts'

const dashboard = 'dashboard'
const observability = 'observability'
const selfHosted = 'self-hosting (`workerd serve`)'

export const edgeCommand = defineCommand({
  name: 'edge',
  usage: ['npm run edge -- --manifests PATH... [flags]', 'npm run edge -- [--manifests PATH...] --emit-workerd DIR --kv-address HOST:PORT [flags]'],
  about:
    'Serves the IngressRoutes in PATH (YAML or JSON files, or folders of them) through the edge worker on workerd at http://127.0.0.1:PORT, and reloads them when they change. Prints `ready URL` on stdout once it serves; stops on SIGINT or SIGTERM.',
  positionals: true,
  flags: {
    manifests: { type: 'string', value: 'PATH', multiple: true, help: 'manifest files or folders (also accepted as plain arguments)' },
    port: { type: 'string', value: 'N', convert: port, default: '8787', help: 'the listening port on 127.0.0.1 (0: any free port)' },
    entrypoint: { type: 'string', value: 'NAME', default: 'web', help: 'the entry point this listener serves' },
    'https-port': {
      type: 'string',
      value: 'N',
      convert: port,
      help: "also serve HTTPS on 127.0.0.1:N with the TLSStore default certificate (or the manifests' one, else a generated default) and the default TLS options",
    },
    'https-entrypoint': { type: 'string', value: 'NAME', default: 'websecure', help: 'the entry point the HTTPS listener serves' },
    target: {
      type: 'string',
      choices: ['workerd', 'cloudflare'],
      default: 'workerd',
      help: "the runtime the table is built for; cloudflare: as deployed to Cloudflare, pod addresses reached through the local stand-in of the cluster's tunnel (the VPC_NETWORK binding)",
    },
    'persist-to': { type: 'string', value: 'DIR', defaultText: '.wrangler/state', help: "the local KV state, as wrangler dev's flag" },
    'state-dir': { type: 'string', value: 'DIR', defaultText: '.state', help: 'the signing key and generated workerd config' },
    'global-limits': {
      type: 'boolean',
      help: 'rateLimit and inFlightReq counted once for all isolates, in a Durable Object (EDGE_LIMITS=global), instead of per isolate',
    },
    ...PROVIDER_FLAGS,
    'dashboard-port': {
      type: 'string',
      value: 'N',
      convert: port,
      defaultText: 'any free port, printed on stderr',
      group: dashboard,
      help: "the dashboard and Traefik's API at http://127.0.0.1:N/",
    },
    'no-dashboard': { type: 'boolean', group: dashboard, help: 'no dashboard' },
    'dashboard-token-file': {
      type: 'string',
      value: 'FILE',
      env: ['DASHBOARD_TOKEN_FILE'],
      group: dashboard,
      help: 'ask every dashboard request for the token in FILE (Authorization: Bearer TOKEN, or as a Basic password); DASHBOARD_TOKEN gives the token itself',
    },
    'dashboard-host': {
      type: 'string',
      value: 'NAME[,NAME...]',
      multiple: true,
      group: dashboard,
      help: 'Host names the dashboard answers besides loopback names and IP addresses (any other Host gets 403: DNS rebinding)',
    },
    'metrics-port': {
      type: 'string',
      value: 'N',
      convert: port,
      group: observability,
      help: "Prometheus metrics at http://127.0.0.1:N/metrics (an internal socket apart from the entry points, as Traefik's metrics entry point)",
    },
    'access-log': { type: 'boolean', group: observability, help: "one JSON line per request (Traefik's access-log fields) on stderr" },
    'tracing-endpoint': {
      type: 'string',
      value: 'URL',
      group: observability,
      help: 'W3C trace context upstream, and spans sent to this OTLP/HTTP traces URL (e.g. http://127.0.0.1:4318/v1/traces)',
    },
    'emit-workerd': {
      type: 'string',
      value: 'DIR',
      group: selfHosted,
      help: 'write worker.js and config.capnp for `workerd serve` into DIR and exit (needs --kv-address); with --https-port also an HTTPS socket, its certificate and TLS options taken from --manifests when given',
    },
    'kv-address': { type: 'string', value: 'HOST:PORT', group: selfHosted, help: 'the KV service the emitted config reads ROUTES from' },
  },
  environment: {
    DASHBOARD_TOKEN: 'the dashboard token itself, when no token file is given',
    ...WORKERD_ENVIRONMENT,
    ...WRANGLER_ENVIRONMENT,
  },
  exits: {
    0: 'stopped by SIGINT or SIGTERM (or --emit-workerd wrote its files)',
    1: 'the manifests cannot be read at start',
    2: 'usage error',
    3: 'the edge could not start',
  },
})

/** The command's arguments from its flags; throws on a usage error. */
function edgeArgs({ values, positionals }: Parsed<typeof edgeCommand.spec.flags>) {
  const manifests = [...values.manifests, ...positionals]
  const emitDir = values['emit-workerd']
  const kvAddress = values['kv-address']
  if (emitDir !== undefined && !kvAddress) throw new Error('--emit-workerd needs --kv-address')
  if (emitDir === undefined && manifests.length === 0) throw new Error('no manifest path given')
  const token = dashboardToken(values['dashboard-token-file'])
  const vars = {
    ...observabilityVars({ accessLog: values['access-log'], tracingEndpoint: values['tracing-endpoint'] }),
    // The worker variable that switches the limits to the EdgeLimiter Durable Object (edge-worker/src/durable/limits.ts).
    ...(values['global-limits'] ? { EDGE_LIMITS: 'global' } : {}),
  }
  return {
    manifests,
    port: values.port,
    entryPoint: values.entrypoint,
    ...(values['https-port'] === undefined ? {} : { httpsPort: values['https-port'] }),
    httpsEntryPoint: values['https-entrypoint'],
    target: values.target,
    provider: providerOptionsFromFlags(values),
    persistTo: values['persist-to'],
    stateDir: values['state-dir'],
    // Self-hosting: the files `workerd serve` runs, instead of serving.
    emit: emitDir !== undefined && kvAddress ? { dir: emitDir, kvAddress } : undefined,
    ...(values['metrics-port'] === undefined ? {} : { metricsPort: values['metrics-port'] }),
    dashboardPort: values['no-dashboard'] ? null : (values['dashboard-port'] ?? 0),
    dashboardAccess: {
      hosts: commaList(values['dashboard-host']),
      ...(token === undefined ? {} : { token }),
    },
    observability: vars,
  }
}

export function main(argv: readonly string[], io: CliIO): Promise<number> {
  return edgeCommand.run(argv, io, edgeArgs, (args) => serve(args, io))
}

async function serve(args: ReturnType<typeof edgeArgs>, io: CliIO): Promise<number> {
  if (args.emit) {
    let https
    // The manifests, when given, say what the config must hold: the serversTransports' own
    // networks (CAs, client certificates) and the HTTPS socket's certificate, as npm run edge does.
    const httpsEntryPoint = args.httpsPort === undefined ? undefined : args.httpsEntryPoint
    const built = args.manifests.length
      ? await manifestPipeline(args.provider, edgeTableStage({ entryPoint: args.entryPoint, ...(httpsEntryPoint ? { httpsEntryPoint } : {}) }))(args.manifests)
      : undefined
    if (args.httpsPort !== undefined) {
      const plan = built ? built.listenerTls : planSocketTls({})
      for (const p of plan?.problems ?? []) io.stderr(`${p}\n`)
      const keypair = plan?.keypair ?? (await loadOrCreateDefaultCert(args.stateDir ?? DEFAULT_STATE_DIR))
      https = { entryPoint: args.httpsEntryPoint, port: args.httpsPort, tls: { ...keypair, ...plan?.options } }
    }
    const config = await emitSelfHostedEdge({
      dir: args.emit.dir,
      entryPoint: args.entryPoint,
      port: args.port,
      kvAddress: args.emit.kvAddress,
      stateDir: args.stateDir,
      ...(https ? { https } : {}),
      ...(built ? { outbound: built } : {}),
      vars: args.observability,
      ...(args.metricsPort === undefined ? {} : { metricsPort: args.metricsPort }),
    })
    io.stdout(`workerd serve ${config}\n`)
    return 0
  }
  let edge
  try {
    edge = await runEdge({ ...args, report: (line) => io.stderr(`${line}\n`) })
  } catch (err) {
    io.stderr(`edge: ${(err as Error).message}\n`)
    return err instanceof ManifestError ? 1 : 3
  }
  if (edge.httpsUrl) io.stderr(`serving HTTPS at ${edge.httpsUrl}\n`)
  if (edge.metricsUrl) io.stderr(`metrics at ${edge.metricsUrl}\n`)
  if (edge.dashboardUrl) io.stderr(`dashboard at ${edge.dashboardUrl}\n`)
  io.stdout(`ready ${edge.url}\n`)
  return onShutdown(edge, (line) => io.stderr(`${line}\n`))
}

if (import.meta.main) await runAsProcess(main)
