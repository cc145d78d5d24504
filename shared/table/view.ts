/**
 * The prepared form of the table the request path works on: parts merged, rules compiled, every
 * name replaced by the object it names. Built once per table version by `prepareTable`
 * (./prepare.ts) and cached by the loader; nothing in it is looked up by name per request.
 *
 * @module
 */
import type { EdgeTarget } from './capabilities.ts'
import type {
  FailoverService,
  LoadBalancerService,
  MirroringService,
  RouteError,
  RouterObservability,
  TableServer,
  TableTls,
  TableTransport,
  WeightedService,
} from './schema.ts'

/** The request facts routing needs (shared/rules' MatchRequest). */
export type { MatchRequest } from './match-request.ts'
import type { MatchRequest } from './match-request.ts'

export interface RoutingView {
  /** The runtime the table was built for: decides how upstreams are reached. */
  readonly target: EdgeTarget
  /** The routers an entry point serves, indexed (built on first use, then kept). */
  entryPoint(name: string): EntryPointRoutes
  /** TLS options and the hosts on non-default ones (Traefik's SNI check); absent without TLS routers. */
  readonly tls?: TableTls
}

export interface EntryPointRoutes {
  /** The router Traefik would pick: highest priority whose rule matches, TLS routers for TLS requests only. */
  match(request: MatchRequest, tls: boolean): PreparedRouter | null
}

export interface PreparedRouter {
  name: string
  rule: string
  priority: number
  tls: boolean
  middlewares: PreparedMiddleware[]
  service: PreparedService
  error?: RouteError
  observability?: RouterObservability
}

export interface PreparedMiddleware {
  name: string
  type: string
  config: unknown
  /** The service an `errors` middleware sends its page requests to (when the table has it). */
  service?: PreparedService
}

interface PreparedBase {
  name: string
  middlewares: PreparedMiddleware[]
}

export type PreparedService =
  | (PreparedBase & { kind: 'loadBalancer'; spec: LoadBalancerService; servers: TableServer[]; transport: TableTransport | null })
  | (PreparedBase & { kind: 'weighted'; spec: WeightedService; children: Array<{ service: PreparedService; weight: number }> })
  | (PreparedBase & { kind: 'mirroring'; spec: MirroringService; main: PreparedService; mirrors: Array<{ service: PreparedService; percent: number }> })
  | (PreparedBase & { kind: 'failover'; spec: FailoverService; main: PreparedService; fallback: PreparedService })
  | (PreparedBase & { kind: 'unservable'; status: number; message: string })
  | (PreparedBase & { kind: 'internal'; service: 'api' | 'dashboard' | 'noop'; document?: string })
