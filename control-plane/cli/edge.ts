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

import { parseArgs } from 'node:util'
import { PROVIDER_FLAGS, PROVIDER_FLAGS_USAGE, providerOptionsFromFlags } from '../compiler/options/flags.ts'
import { ManifestError } from '../manifests/load.ts'
import { runEdge } from './run-edge.ts'
import { loadOrCreateDefaultCert } from '../runtime/default-cert.ts'
import { edgeTableStage } from '../pipeline/edge-table.ts'
import { DEFAULT_STATE_DIR } from '../runtime/paths.ts'
import { manifestPipeline } from '../pipeline/pipeline.ts'
import { emitSelfHostedEdge } from '../runtime/self-hosted.ts'
import { planSocketTls } from '../runtime/workerd-tls.ts'
import { onShutdown } from '../runtime/shutdown.ts'
import { observabilityVars } from '../../shared/observability/vars.ts'
import type { CliIO } from './io.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'

const USAGE = `usage: npm run edge -- --manifests PATH... [flags]

Serves the IngressRoutes in PATH (YAML or JSON files, or folders of them) through the edge worker
on workerd at http://127.0.0.1:PORT, and reloads them when they change.

flags:
  --manifests PATH...                manifest files or folders (also accepted as plain arguments)
  --port N                           listening port (default 8787)
  --entrypoint NAME                  the entry point this listener serves (default web)
  --https-port N                     also serve HTTPS on 127.0.0.1:N, with the TLSStore default
                                     certificate (or the manifests' one, else a generated default)
                                     and the default TLS options
  --https-entrypoint NAME            the entry point the HTTPS listener serves (default websecure)
  --target workerd|cloudflare        the runtime the table is built for (default workerd); cloudflare:
                                     as deployed to Cloudflare, pod addresses reached through the
                                     local stand-in of the cluster's tunnel (the VPC_NETWORK binding)
${PROVIDER_FLAGS_USAGE}
  --persist-to DIR                   local KV state, as wrangler dev's flag (default .wrangler/state)
  --state-dir DIR                    signing key and generated config (default .state)
  --emit-workerd DIR                 self-hosting: write worker.js + config.capnp for \`workerd serve\`
                                     into DIR and exit (needs --kv-address); with --https-port, also
                                     an HTTPS socket, its certificate and TLS options taken from
                                     --manifests when given
  --kv-address HOST:PORT             the KV service the emitted config reads ROUTES from
  --dashboard-port N                 the dashboard at http://127.0.0.1:N/ (default: any free port,
                                     printed on stderr; --no-dashboard: none)
  --no-dashboard                     no dashboard
  --metrics-port N                   Prometheus metrics at http://127.0.0.1:N/metrics (an internal
                                     socket, apart from the entry points, as Traefik's metrics entry point)
  --access-log                       one JSON line per request (Traefik's access-log fields) on stderr
  --tracing-endpoint URL             W3C trace context upstream and spans sent to this OTLP/HTTP
                                     traces URL (e.g. http://127.0.0.1:4318/v1/traces)
  --global-limits                    rateLimit and inFlightReq counted once for all isolates, in a
                                     Durable Object (EDGE_LIMITS=global), instead of per isolate
  -h, --help                         this text
`

export function parseEdgeArgs(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      manifests: { type: 'string', multiple: true },
      port: { type: 'string' },
      entrypoint: { type: 'string' },
      'https-port': { type: 'string' },
      'https-entrypoint': { type: 'string' },
      target: { type: 'string' },
      ...PROVIDER_FLAGS,
      'persist-to': { type: 'string' },
      'state-dir': { type: 'string' },
      'emit-workerd': { type: 'string' },
      'kv-address': { type: 'string' },
      'metrics-port': { type: 'string' },
      'dashboard-port': { type: 'string' },
      'no-dashboard': { type: 'boolean' },
      'access-log': { type: 'boolean' },
      'tracing-endpoint': { type: 'string' },
      'global-limits': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const port = Number(values.port ?? 8787)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${values.port}: not a port number`)
  const httpsPort = values['https-port'] === undefined ? undefined : Number(values['https-port'])
  if (httpsPort !== undefined && (!Number.isInteger(httpsPort) || httpsPort < 0 || httpsPort > 65535))
    throw new Error(`--https-port ${values['https-port']}: not a port number`)
  const target = values.target ?? 'workerd'
  if (target !== 'workerd' && target !== 'cloudflare') throw new Error(`--target ${values.target}: workerd or cloudflare`)
  const provider = providerOptionsFromFlags(values)
  const dashboardPort = values['no-dashboard'] ? null : Number(values['dashboard-port'] ?? 0)
  if (dashboardPort !== null && (!Number.isInteger(dashboardPort) || dashboardPort < 0 || dashboardPort > 65535))
    throw new Error(`--dashboard-port ${values['dashboard-port']}: not a port number`)
  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port'])
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw new Error(`--metrics-port ${values['metrics-port']}: not a port number`)
  const observability = {
    ...observabilityVars({ accessLog: values['access-log'] === true, tracingEndpoint: values['tracing-endpoint'] }),
    // The worker variable that switches the limits to the EdgeLimiter Durable Object (edge-worker/src/durable/limits.ts).
    ...(values['global-limits'] ? { EDGE_LIMITS: 'global' } : {}),
  }
  return {
    help: values.help === true,
    manifests: [...(values.manifests ?? []), ...positionals],
    port,
    entryPoint: values.entrypoint ?? 'web',
    ...(httpsPort === undefined ? {} : { httpsPort }),
    ...(values['https-entrypoint'] === undefined ? {} : { httpsEntryPoint: values['https-entrypoint'] }),
    target: target as EdgeTarget,
    provider,
    persistTo: values['persist-to'],
    stateDir: values['state-dir'],
    emitWorkerd: values['emit-workerd'],
    kvAddress: values['kv-address'],
    ...(metricsPort === undefined ? {} : { metricsPort }),
    dashboardPort,
    observability,
  }
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  let args
  try {
    args = parseEdgeArgs(argv)
  } catch (err) {
    io.stderr(`edge: ${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (args.help) {
    io.stdout(USAGE)
    return 0
  }
  if (args.emitWorkerd !== undefined) {
    if (!args.kvAddress) {
      io.stderr(`edge: --emit-workerd needs --kv-address\n${USAGE}`)
      return 2
    }
    let https
    // The manifests, when given, say what the config must hold: the serversTransports' own
    // networks (CAs, client certificates) and the HTTPS socket's certificate, as npm run edge does.
    const httpsEntryPoint = args.httpsPort === undefined ? undefined : (args.httpsEntryPoint ?? 'websecure')
    const built = args.manifests.length
      ? await manifestPipeline(args.provider, edgeTableStage({ entryPoint: args.entryPoint, ...(httpsEntryPoint ? { httpsEntryPoint } : {}) }))(args.manifests)
      : undefined
    if (args.httpsPort !== undefined) {
      const plan = built ? built.listenerTls : planSocketTls({})
      for (const p of plan?.problems ?? []) io.stderr(`${p}\n`)
      const keypair = plan?.keypair ?? (await loadOrCreateDefaultCert(args.stateDir ?? DEFAULT_STATE_DIR))
      https = { entryPoint: args.httpsEntryPoint ?? 'websecure', port: args.httpsPort, tls: { ...keypair, ...plan?.options } }
    }
    const config = await emitSelfHostedEdge({
      dir: args.emitWorkerd,
      entryPoint: args.entryPoint,
      port: args.port,
      kvAddress: args.kvAddress,
      stateDir: args.stateDir,
      ...(https ? { https } : {}),
      ...(built ? { outbound: built } : {}),
      vars: args.observability,
      ...(args.metricsPort === undefined ? {} : { metricsPort: args.metricsPort }),
    })
    io.stdout(`workerd serve ${config}\n`)
    return 0
  }
  if (args.manifests.length === 0) {
    io.stderr(`edge: no manifest path given\n${USAGE}`)
    return 2
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

if (import.meta.main) {
  process.exit(
    await main(process.argv.slice(2), {
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    }),
  )
}
