/**
 * The edge's route table: what the control plane publishes and the worker serves from.
 *
 * Derived from Traefik's dynamic configuration (shared/dynamic/types.ts) by
 * control-plane/table's `buildEdgeTable`, and JSON all the way down so it can be stored as KV
 * blobs. Every reference is resolved when the table is built: a router lists its middlewares
 * already expanded (chains flattened, in order) and every service it can reach is present, so
 * the edge never looks a name up that could be missing. Servers and their health live apart in
 * an {@link EndpointsTable}: pods come and go far more often than routes change.
 *
 * The table splits by host (./split.ts): each exact host gets the routers that can only match it,
 * and `rest` keeps host regexps and host-less rules; each part carries the closure of what its
 * routers reference, so a cold isolate needs only `rest` plus the parts of the host it serves.
 *
 * @module
 */

import type { EdgeTarget } from './capabilities.ts'
import type { TunnelHost } from './tunnel.ts'

/** Bump on any incompatible change of the shapes below: the edge refuses other versions. */
export const TABLE_SCHEMA_VERSION = 'edge-table/1'

/** A whole table, or one part of it (a host's part, `rest`, or several merged). */
export interface EdgeTable {
  schema: typeof TABLE_SCHEMA_VERSION
  /** The runtime the table was built for (shared/table/capabilities.ts). */
  target: EdgeTarget
  routers: Record<string, TableRouter>
  middlewares: Record<string, TableMiddleware>
  services: Record<string, TableService>
  /** Upstream transports (Traefik's serversTransports) the load balancers name. */
  transports: Record<string, TableTransport>
  /** TLS options and the hosts that use non-default ones (only in `rest` when split). */
  tls?: TableTls
}

/** The name of Traefik's default TLS options. */
export const DEFAULT_TLS_OPTIONS = 'default'

/** What the edge needs of TLS options: Traefik's SNI check and, on Cloudflare, the handshake's facts. */
export interface TableTls {
  /** Options by name; `default` always present. */
  options: Record<string, TableTlsOptions>
  /** Entry point (`''`: any) -> host (lower case) -> options name, for hosts not on `default`. */
  hosts: Record<string, Record<string, string>>
}

export interface TableTlsOptions {
  /** Go's names: `VersionTLS12`... */
  minVersion?: string
  maxVersion?: string
  /** Go's (IANA) cipher suite names. */
  cipherSuites?: string[]
  /** NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert. */
  clientAuthType?: string
  sniStrict?: boolean
}

export interface TableRouter {
  /** Entry points it serves; empty means every entry point (Traefik's default). */
  entryPoints: string[]
  rule: string
  /** The rule's syntax tree as shared/rules' parseRule gives it (JSON). */
  tree: unknown
  /**
   * The exact hosts (lower case, no port, no trailing dot) the rule can only match, or null when it
   * may match other hosts too (host regexps, wildcards, rules without Host). Drives the split.
   */
  hosts: string[] | null
  /** Effective priority: the configured one, or the rule's length in bytes when unset. */
  priority: number
  /** Only TLS requests (Traefik's `tls` section present), or only plain ones. */
  tls: boolean
  /** The TLS options it is served with (TLS routers; absent: `default`). */
  tlsOptions?: string
  /** Keys of `middlewares`, chains expanded in place, in the order they run. */
  middlewares: string[]
  /** Key of `services`. */
  service: string
  /** Set when the router cannot serve (a reference the edge cannot honour): it answers this. */
  error?: RouteError
  /** Traefik's router `observability` toggles; absent or unset: on (edge-worker/src/observability). */
  observability?: RouterObservability
}

export interface RouterObservability {
  accessLogs?: boolean
  metrics?: boolean
  tracing?: boolean
  /** `minimal` (default) or `detailed`. */
  traceVerbosity?: string
}

/** What a route answers when it cannot be served faithfully: never a silent pass-through. */
export interface RouteError {
  status: number
  message: string
}

export interface TableMiddleware {
  /** Traefik's middleware type: `stripPrefix`, `headers`, ... (the key set in its config). */
  type: string
  /** Traefik's configuration of that type, as the dynamic configuration has it. */
  config: unknown
}

export type TableService = LoadBalancerService | WeightedService | MirroringService | FailoverService | UnservableService | InternalService

interface ServiceBase {
  /** Service-level middlewares (keys of `middlewares`), run before the service. */
  middlewares?: string[]
}

/** Round robin over the servers listed for this service in the EndpointsTable. */
export interface LoadBalancerService extends ServiceBase {
  kind: 'loadBalancer'
  sticky?: StickyCookie
  /** Traefik's default true: the upstream gets the client's Host. */
  passHostHeader: boolean
  /** responseForwarding.flushInterval in ms; negative flushes after every write. */
  flushIntervalMs: number
  /** Key of `transports`; absent: the default transport. */
  transport?: string
  /** Servers marked down by health checks are skipped (EndpointsTable `up`). */
  healthCheck: boolean
  /** Traefik's passiveHealthCheck: failures of real requests take a server out (edge-worker/src/health). */
  passiveHealthCheck?: TablePassiveHealthCheck
  /** Traefik v3's loadBalancer.strategy other than wrr (absent: wrr). */
  strategy?: 'p2c' | 'hrw' | 'leasttime'
}

export interface TablePassiveHealthCheck {
  /** Failures (responses >= 500, proxy errors) are counted over this sliding window. */
  failureWindowMs: number
  /** A server with this many failures in the window is taken out. */
  maxFailedAttempts: number
  /** How long it stays out: the window, or, with an active check, its interval (when Traefik's check would bring it back). */
  downForMs: number
}

export interface WeightedService extends ServiceBase {
  kind: 'weighted'
  services: Array<{ service: string; weight: number }>
  /** `hrw`: a highestRandomWeight TraefikService (children picked by the client IP's hash); absent: wrr. */
  strategy?: 'hrw'
  sticky?: StickyCookie
  /** Propagates children's health (Traefik's `healthCheck: {}`). */
  healthCheck: boolean
}

export interface MirroringService extends ServiceBase {
  kind: 'mirroring'
  service: string
  mirrors: Array<{ service: string; percent: number }>
  mirrorBody: boolean
  /** -1: unlimited. */
  maxBodySize: number
  healthCheck: boolean
}

export interface FailoverService extends ServiceBase {
  kind: 'failover'
  service: string
  fallback: string
  /** Status codes of the main service that send the request to the fallback. */
  errorStatus?: Array<[number, number]>
  /** -1: unlimited. */
  maxRequestBodyBytes: number
  healthCheck: boolean
}

/** A service the edge knows it cannot serve faithfully (and said so at compile time). */
export interface UnservableService extends ServiceBase {
  kind: 'unservable'
  status: number
  message: string
}

/**
 * Traefik's internal services the edge serves itself (edge-worker/src/service/internal.ts):
 * `api@internal` (Traefik's API and, under /dashboard/, the dashboard), `dashboard@internal`
 * (the dashboard at /) and `noop@internal` (418). The API and dashboard are served from
 * `document`, the digest of a blob the pointer names (`TableManifest.documents`): the runtime
 * configuration and dashboard state the control plane worked out when it built this table.
 */
export interface InternalService extends ServiceBase {
  kind: 'internal'
  service: 'api' | 'dashboard' | 'noop'
  document?: string
}

/** Traefik's sticky cookie, with its name already resolved (default name derived from the service). */
export interface StickyCookie {
  name: string
  secure: boolean
  httpOnly: boolean
  /** `None`, `Lax`, `Strict`, or absent. */
  sameSite?: 'None' | 'Lax' | 'Strict'
  /** 0: not sent; negative: `Max-Age=0`. */
  maxAge: number
  path: string
  domain?: string
}

export interface TableTransport {
  /** SNI and the name the server's certificate is verified against (workerd: over a socket). */
  serverName?: string
  insecureSkipVerify: boolean
  /** PEM CA certificates the upstream's certificate must chain to (self-hosted workerd only). */
  rootCAs: string[]
  /**
   * The worker binding this transport's connections go through: on workerd a network service
   * with the transport's own trusted CAs and client certificate (generated into the workerd
   * config); on Cloudflare an `mtls_certificates` binding presenting its client certificate.
   */
  binding?: string
  /** Idle kept-alive connections per server (Traefik's maxIdleConnsPerHost; -1: none). */
  maxIdleConnsPerHost?: number
  /** ms; 0 = none. */
  dialTimeoutMs: number
  /** ms from the request sent to the response headers; 0 = none. */
  responseHeaderTimeoutMs: number
  /** ms a pooled connection may stay idle. */
  idleConnTimeoutMs: number
  disableHTTP2: boolean
}

/** Servers and their health, per load-balancer service. Versioned apart from the routes. */
export interface EndpointsTable {
  schema: typeof TABLE_SCHEMA_VERSION
  services: Record<string, ServiceEndpoints>
}

export interface ServiceEndpoints {
  servers: TableServer[]
}

export interface TableServer {
  url: string
  /** Default 1; servers with weight <= 0 are left out of the balancer. */
  weight: number
  /** Joins the server URL's path in front of the request path. */
  preservePath: boolean
  /** Only receives sticky traffic (a terminating endpoint). */
  fenced: boolean
  /** Health state; a down server is not picked. */
  up: boolean
  /**
   * Cloudflare target: reached through the cluster's tunnel (the Workers VPC Network binding,
   * shared/table/tunnel.ts), carrying the Host as this says; absent: the runtime's fetch().
   */
  tunnel?: TunnelHost
}
