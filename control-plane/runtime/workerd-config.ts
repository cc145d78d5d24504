// Generates the `workerd serve` configuration of the self-hosted edge (and of `npm run edge`):
// one socket and one worker per entry point (each worker gets its ENTRYPOINT), the ROUTES KV
// binding implemented by an HTTP service, an outbound network that may reach private and
// loopback upstreams, the serversTransports' own networks and the direct upstream services, and
// for local runs the stand-in of the cluster's tunnel. Pure: text in, text out.
import { TUNNEL_BINDING } from '../../shared/table/tunnel.ts'
import { directUpstreamBinding } from '../../shared/table/upstream-bindings.ts'

export interface WorkerdEntryPoint {
  name: string
  /** host:port to listen on; port 0 picks a free one (reported on workerd's control fd). */
  address: string
  /** PEM certificate chain and key: the socket serves HTTPS, with these TLS options. */
  tls?: WorkerdSocketTls
  /** A request header whose JSON workerd exposes as request.cf (set by a trusted proxy in front). */
  cfBlobHeader?: string
  /**
   * No ENTRYPOINT for this socket's worker: it serves entry points by the request's scheme, as the
   * deployed Worker does (ENTRYPOINT_BY_SCHEME; edge-worker/src/entry-points.ts).
   */
  byScheme?: boolean
}

/** What workerd's TlsOptions can say of a Traefik TLSOption (./workerd-tls.ts translates). */
export interface WorkerdSocketTls {
  certificateChain: string
  privateKey: string
  /** The TLSOption's name, given to the worker as TLS_OPTIONS (its SNI check). Default `default`. */
  optionsName?: string
  minVersion?: 'tls1Dot0' | 'tls1Dot1' | 'tls1Dot2' | 'tls1Dot3'
  /** OpenSSL cipher list (TLS 1.2 and below). */
  cipherList?: string
  requireClientCerts?: boolean
  /** CAs client certificates must chain to. */
  trustedCertificates?: string[]
}

export interface WorkerdConfigInput {
  /** File name of the bundled worker, relative to the config file. */
  workerFile: string
  compatibilityDate: string
  compatibilityFlags?: string[]
  entryPoints: WorkerdEntryPoint[]
  /** Text bindings every entry point's worker gets (TABLE_JWKS, TABLE_REFRESH_MS...). */
  vars: Record<string, string>
  /** The KV namespaces: binding name -> host:port of a service speaking workerd's KV protocol. */
  kv: Record<string, string>
  /** What outbound fetch() may reach. Default: public, private and local (loopback) addresses. */
  allow?: string[]
  /** Extra CA certificates (PEM) the default outbound's TLS trusts, besides the system's. */
  trustedCertificates?: string[]
  /**
   * serversTransports' own networks: each a network service with its own tlsOptions (trusted CAs,
   * client certificate), bound into every entry point's worker under its binding name.
   */
  channels?: WorkerdChannel[]
  /**
   * `host:port` of plain-HTTP upstreams that get an external service of their own, bound into
   * every entry point's worker (shared/table/upstream-bindings.ts): its fetch() sends the URL's
   * host as Host, so the client's Host goes over the runtime's pooled connections.
   */
  directUpstreams?: string[]
  /** An internal socket serving Prometheus `/metrics` for every entry point (Traefik's metrics entry point). */
  metrics?: { address: string }
  /**
   * The local stand-in of the Workers VPC Network binding (edge-worker/src/local/tunnel-stand-in.ts,
   * bundled to this file beside the config), bound as TUNNEL_BINDING in every entry point's worker:
   * a Cloudflare-target table reaches its pod addresses through it, as through the cluster's tunnel.
   */
  tunnelWorkerFile?: string
}

/** A serversTransport's network (control-plane/table's UpstreamChannel). */
export interface WorkerdChannel {
  binding: string
  trustedCertificates: string[]
  /** Also the system's CAs (a transport without rootCAs). */
  trustSystemCAs: boolean
  clientCertificate?: { certificateChain: string; privateKey: string }
}

/** The internal metrics socket's name (edge-worker/src/observability/entrypoints.ts). */
export const METRICS_SOCKET = 'metrics'

/** EDGE_LIMITS = "global": rateLimit and inFlightReq counted in one Durable Object namespace for every entry point. */
const GLOBAL_LIMITS = { variable: 'EDGE_LIMITS', binding: 'EDGE_LIMITER', className: 'EdgeLimiter', service: 'edge-state' }

/** TABLE_BEACON_TOKEN set: the version beacon (edge-worker/src/table-source/beacon-object.ts), one object for every entry point. */
const BEACON = { variable: 'TABLE_BEACON_TOKEN', binding: 'TABLE_BEACON', className: 'TableBeacon', service: 'edge-beacon' }

/** Kept-alive upstream connections for passHostHeader (edge-worker/src/proxy/socket-pool), one namespace per entry point's worker. */
const UPSTREAM_POOL = { binding: 'UPSTREAM_POOL', className: 'UpstreamPool' }

/** The tunnel stand-in's service. */
const TUNNEL_SERVICE = 'edge-tunnel'

export function workerdConfig(input: WorkerdConfigInput): string {
  const allow = input.allow ?? ['public', 'private', 'local']
  const globalLimits = input.vars[GLOBAL_LIMITS.variable] === 'global'
  const beacon = Boolean(input.vars[BEACON.variable])
  const flags = input.compatibilityFlags ?? []
  const kvServices = Object.entries(input.kv).map(([binding, address]) => ({ binding, service: `kv-${binding}`, address }))
  const trusted = input.trustedCertificates ?? []
  // Always given, so that sockets can start TLS (startTls needs the network's TLS context).
  const tls = `, tlsOptions = (trustBrowserCas = true${trusted.length ? `, trustedCertificates = [${trusted.map(str).join(', ')}]` : ''})`
  const channels = input.channels ?? []
  const direct = (input.directUpstreams ?? []).map((address, i) => ({ address, binding: directUpstreamBinding(address), service: `upstream-direct-${i}` }))

  const workers = input.entryPoints.map(
    (ep) => `    (name = ${str(workerName(ep.name))}, worker = (
      modules = [(name = "worker.js", esModule = embed ${str(input.workerFile)})],
      compatibilityDate = ${str(input.compatibilityDate)},
      compatibilityFlags = [${flags.map(str).join(', ')}],
      bindings = [
${[
  ...kvServices.map((kv) => `        (name = ${str(kv.binding)}, kvNamespace = ${str(kv.service)}),`),
  ...(globalLimits
    ? [
        `        (name = ${str(GLOBAL_LIMITS.binding)}, durableObjectNamespace = (className = ${str(GLOBAL_LIMITS.className)}, serviceName = ${str(GLOBAL_LIMITS.service)})),`,
      ]
    : []),
  ...(beacon
    ? [`        (name = ${str(BEACON.binding)}, durableObjectNamespace = (className = ${str(BEACON.className)}, serviceName = ${str(BEACON.service)})),`]
    : []),
  `        (name = ${str(UPSTREAM_POOL.binding)}, durableObjectNamespace = ${str(UPSTREAM_POOL.className)}),`,
  ...channels.map((c) => `        (name = ${str(c.binding)}, service = ${str(channelService(c))}),`),
  ...direct.map((d) => `        (name = ${str(d.binding)}, service = ${str(d.service)}),`),
  ...(input.tunnelWorkerFile ? [`        (name = ${str(TUNNEL_BINDING)}, service = ${str(TUNNEL_SERVICE)}),`] : []),
  ...Object.entries({
    ...input.vars,
    ...(input.metrics ? { METRICS_PROMETHEUS: 'true' } : {}),
    ...(ep.byScheme ? {} : { ENTRYPOINT: ep.name }),
    ...(ep.tls ? { TLS_OPTIONS: ep.tls.optionsName ?? 'default' } : {}),
  }).map(([name, value]) => `        (name = ${str(name)}, text = ${str(value)}),`),
].join('\n')}
      ],
      durableObjectNamespaces = [(className = ${str(UPSTREAM_POOL.className)}, uniqueKey = ${str(`traefik-edge-pool-${ep.name}`)})],
      durableObjectStorage = (inMemory = void),
      globalOutbound = "outbound",
    )),`,
  )
  // One more isolate of the same module sums the entry points' registries (their `metrics` entrypoints).
  const metricsWorker = input.metrics
    ? [
        `    (name = "edge-metrics", worker = (
      modules = [(name = "worker.js", esModule = embed ${str(input.workerFile)})],
      compatibilityDate = ${str(input.compatibilityDate)},
      compatibilityFlags = [${flags.map(str).join(', ')}],
      bindings = [
${input.entryPoints.map((ep, i) => `        (name = "METRICS_SOURCE_${i}", service = (name = ${str(workerName(ep.name))}, entrypoint = "metrics")),`).join('\n')}
      ],
    )),`,
      ]
    : []
  // The same module once more, hosting the limiter objects every entry point's worker binds.
  const stateWorker = globalLimits
    ? [
        `    (name = ${str(GLOBAL_LIMITS.service)}, worker = (
      modules = [(name = "worker.js", esModule = embed ${str(input.workerFile)})],
      compatibilityDate = ${str(input.compatibilityDate)},
      compatibilityFlags = [${flags.map(str).join(', ')}],
      durableObjectNamespaces = [(className = ${str(GLOBAL_LIMITS.className)}, uniqueKey = "traefik-edge-limiter")],
      durableObjectStorage = (inMemory = void),
    )),`,
      ]
    : []
  // The same module once more, hosting the beacon (it verifies pointers with TABLE_JWKS).
  const beaconWorker = beacon
    ? [
        `    (name = ${str(BEACON.service)}, worker = (
      modules = [(name = "worker.js", esModule = embed ${str(input.workerFile)})],
      compatibilityDate = ${str(input.compatibilityDate)},
      compatibilityFlags = [${flags.map(str).join(', ')}],
      bindings = [(name = "TABLE_JWKS", text = ${str(input.vars.TABLE_JWKS ?? '')})],
      durableObjectNamespaces = [(className = ${str(BEACON.className)}, uniqueKey = "traefik-edge-beacon")],
      durableObjectStorage = (inMemory = void),
    )),`,
      ]
    : []
  // The tunnel stand-in: its own worker, reaching upstreams through the same outbound network.
  const tunnelWorker = input.tunnelWorkerFile
    ? [
        `    (name = ${str(TUNNEL_SERVICE)}, worker = (
      modules = [(name = "tunnel.js", esModule = embed ${str(input.tunnelWorkerFile)})],
      compatibilityDate = ${str(input.compatibilityDate)},
      compatibilityFlags = [${flags.map(str).join(', ')}],
      globalOutbound = "outbound",
    )),`,
      ]
    : []
  const services = [
    ...workers,
    ...tunnelWorker,
    ...metricsWorker,
    ...stateWorker,
    ...beaconWorker,
    ...kvServices.map((kv) => `    (name = ${str(kv.service)}, external = (address = ${str(kv.address)}, http = ())),`),
    `    (name = "outbound", network = (allow = [${allow.map(str).join(', ')}]${tls})),`,
    ...channels.map((c) => `    (name = ${str(channelService(c))}, network = (allow = [${allow.map(str).join(', ')}], tlsOptions = ${channelTls(c)})),`),
    ...direct.map((d) => `    (name = ${str(d.service)}, external = (address = ${str(d.address)}, http = ())),`),
  ]
  const sockets = input.entryPoints.map((ep) => {
    const http = ep.cfBlobHeader ? `(cfBlobHeader = ${str(ep.cfBlobHeader)})` : '()'
    const proto = ep.tls ? `https = (options = ${http}, tlsOptions = ${socketTls(ep.tls)})` : `http = ${http}`
    return `    (name = ${str(ep.name)}, address = ${str(ep.address)}, ${proto}, service = ${str(workerName(ep.name))}),`
  })
  if (input.metrics)
    sockets.push(
      `    (name = "${METRICS_SOCKET}", address = ${str(input.metrics.address)}, http = (), service = (name = "edge-metrics", entrypoint = "prometheus")),`,
    )
  return `# Generated by control-plane/runtime/workerd-config.ts. Do not edit.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
${services.join('\n')}
  ],
  sockets = [
${sockets.join('\n')}
  ],${v8Flags()}
);
`
}

/** WORKERD_V8_FLAGS (space-separated), for profiling: e.g. `--no-turbo-inlining` (bench/proxy/profile.ts). */
function v8Flags(): string {
  const flags = (typeof process === 'undefined' ? '' : (process.env.WORKERD_V8_FLAGS ?? '')).split(/\s+/).filter(Boolean)
  return flags.length ? `\n  v8Flags = [${flags.map(str).join(', ')}],` : ''
}

function socketTls(tls: WorkerdSocketTls): string {
  const fields = [`keypair = (privateKey = ${str(tls.privateKey)}, certificateChain = ${str(tls.certificateChain)})`]
  if (tls.minVersion) fields.push(`minVersion = ${tls.minVersion}`)
  if (tls.cipherList) fields.push(`cipherList = ${str(tls.cipherList)}`)
  if (tls.requireClientCerts) fields.push('requireClientCerts = true')
  if (tls.trustedCertificates?.length) fields.push(`trustedCertificates = [${tls.trustedCertificates.map(str).join(', ')}]`)
  return `(${fields.join(', ')})`
}

function channelService(c: WorkerdChannel): string {
  return `upstream-tls-${c.binding.toLowerCase()}`
}

/** A client's TLS options: whom it trusts (only the transport's CAs when it names some), what it presents. */
function channelTls(c: WorkerdChannel): string {
  const fields = [`trustBrowserCas = ${c.trustSystemCAs}`]
  if (c.trustedCertificates.length) fields.push(`trustedCertificates = [${c.trustedCertificates.map(str).join(', ')}]`)
  if (c.clientCertificate)
    fields.push(`keypair = (privateKey = ${str(c.clientCertificate.privateKey)}, certificateChain = ${str(c.clientCertificate.certificateChain)})`)
  return `(${fields.join(', ')})`
}

export function workerName(entryPoint: string): string {
  return `edge-${entryPoint}`
}

/** A Cap'n Proto text string literal. */
function str(value: string): string {
  let out = '"'
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte)
    if (c === '"' || c === '\\') out += '\\' + c
    else if (c === '\n') out += '\\n'
    else if (byte >= 0x20 && byte < 0x7f) out += c
    else out += '\\x' + byte.toString(16).padStart(2, '0')
  }
  return out + '"'
}
