/**
 * The edge worker: Traefik's entry point on the Workers runtime.
 *
 * request -> table for its host (TableSource; 503 without one) -> entry point forwarded
 * headers -> muxer (404 when no router matches) -> the router's middlewares -> its service
 * (load balancer, weighted, mirroring, failover) -> reverse proxy to a server.
 *
 * Bindings: ROUTES (KV) and what the table source reads (edge-worker/src/table-source), the entry
 * point (./entry-points.ts: ENTRYPOINT, or ENTRYPOINT_BY_SCHEME, by default `web` for http and
 * `websecure` for https), and optionally EDGE_HOSTNAME (X-Forwarded-Server, default
 * `traefik-edge`), CLIENT_IP_HEADER (see ./client-ip.ts), FORWARDED_TRUSTED_IPS (clients whose
 * X-Forwarded-* headers are kept: addresses, IPv4 CIDRs, or `*`).
 *
 * @module
 */
import { Hono } from 'hono'
import { prepareTable } from '../../shared/table/prepare.ts'
import { TABLE_SCHEMA_VERSION } from '../../shared/table/schema.ts'
import type { TableSource } from '../../shared/table/source.ts'
import type { PreparedRouter, PreparedService, RoutingView } from '../../shared/table/view.ts'
import { clientIp, trustedClient, type ClientIpEnv } from './client-ip.ts'
import { entryPointOf, type EntryPointEnv } from './entry-points.ts'
import { chain, keepsHeadersClean, type EdgeContext } from './middlewares/index.ts'
import { selectRouter } from '../../shared/muxer/select-router.ts'
import { observe, type Observation } from './observability/observation.ts'
import type { ObservabilityEnv } from './observability/settings.ts'
import { forwardedHeaders, readIncoming, type EntryPointFacts, type EntryPointInfo, type IncomingHeaders } from '../../shared/http/forwarded.ts'
import { STATUS_TEXT, httpError, type EdgeRequest, type ExecutionContextLike, type Handler, type TlsClientAuth } from './request.ts'
import { serviceHandler, withServiceBuilder } from './service/index.ts'
import { entryPointDenial } from './middlewares/encoded-characters/index.ts'
import { misdirected, type HandshakeFacts } from '../../shared/tls/sni-check.ts'
import { validHostHeader } from '../../shared/http/host.ts'
import { entryPointPath } from '../../shared/http/request-path.ts'
import { badPath, malformedHost } from './entry-point/answers.ts'
import { answeredWithin, readTimeoutMs, withReadDeadline } from './entry-point/read-timeout.ts'
import { tableSourceFromEnv, type TableSourceEnv } from './table-source/index.ts'

export interface EdgeEnv extends TableSourceEnv, ClientIpEnv, ObservabilityEnv, EntryPointEnv {
  EDGE_HOSTNAME?: string
  FORWARDED_TRUSTED_IPS?: string
  /** Encoded path characters the entry point lets through (Traefik's entryPoints.<name>.http.encodedCharacters): allowEncoded* names, comma-separated, or `*`. */
  ALLOW_ENCODED_CHARACTERS?: string
  /** The TLS options an HTTPS socket was configured with (self-hosted; default `default`). */
  TLS_OPTIONS?: string
  /** `false` turns off the entry point's path sanitizing (Traefik's entryPoints.<name>.http.sanitizePath, on by default). */
  SANITIZE_PATH?: string
  /** The longest a request may take to arrive, body included (Traefik's respondingTimeouts.readTimeout): a Go duration or seconds; default 60s, 0 off. */
  READ_TIMEOUT?: string
}

export interface EdgeOptions {
  /** The table source; default: the KV source over the env's bindings. */
  source?: (env: EdgeEnv) => TableSource
}

export type EdgeFetch = (request: Request, env: EdgeEnv, ctx: ExecutionContextLike) => Promise<Response>

/**
 * The edge as a plain fetch handler: what the worker exports. Hono's dispatch (router match,
 * Context, compose) costs about 10 µs of CPU per request on workerd for a single catch-all
 * route, so the hot path does not go through it.
 */
export function edgeFetch(options: EdgeOptions = {}): EdgeFetch {
  // The table's description made once, not an object per request.
  const table = { schema: TABLE_SCHEMA_VERSION, prepare: prepareTable }
  const sourceOf = options.source ?? ((env: EdgeEnv) => tableSourceFromEnv(env, table))
  return (request, env, ctx) => serve(request, env, ctx, sourceOf(env))
}

/** The same edge as a Hono app (`app.request()` in tests, mounting beside other routes). */
export function createEdge(options: EdgeOptions = {}): Hono<{ Bindings: EdgeEnv }> {
  const handle = edgeFetch(options)
  const app = new Hono<{ Bindings: EdgeEnv }>()
  app.all('*', (c) => handle(c.req.raw, c.env, c.executionCtx))
  return app
}

type Cf = HandshakeFacts & Observation['cf'] & { clientIp?: unknown; clientAcceptEncoding?: unknown }

/** The parts of the runtime's absolute request URL, found without a URL object (a cost on every request). */
class UrlParts {
  tls: boolean
  authority: string
  path: string
  query: string

  constructor(url: string) {
    this.tls = url.startsWith('https:')
    const start = url.indexOf('//') + 2
    let slash = url.indexOf('/', start)
    if (slash === -1) slash = url.length
    const q = url.indexOf('?', slash)
    const hash = url.indexOf('#', slash)
    const end = hash === -1 ? url.length : hash
    this.authority = url.slice(start, slash)
    this.path = q === -1 || q > end ? url.slice(slash, end) || '/' : url.slice(slash, q) || '/'
    this.query = q === -1 || q > end ? '' : url.slice(q + 1, end)
  }
}

export function splitUrl(url: string): { tls: boolean; authority: string; path: string; query: string } {
  return new UrlParts(url)
}

/**
 * What a request brought, read once before its table is known, and then the request as it
 * travels (EdgeRequest); also what the entry point's forwarded headers are written from and learn
 * (EntryPointInfo, EntryPointFacts) and where observation reads request.cf: one object per
 * request where each of those was one more. A class with every field set in its constructor: one
 * shape, and no property store grown per request (fields in an object literal with accessors
 * would put it in dictionary mode: measured with bench/proxy/profile.ts --alloc).
 */
class Arrival extends UrlParts implements EdgeRequest, EntryPointInfo, EntryPointFacts {
  readonly request: Request
  readonly env: EdgeEnv
  ctx: ExecutionContextLike
  method: string
  body: ReadableStream<Uint8Array> | null
  incoming: IncomingHeaders | null = null
  host = ''
  clientIp = ''
  hostname = ''
  trusted = false
  clean = false
  entryPoint = ''
  headers!: Headers
  skipXff = false
  hopFree = false
  observation?: Observation
  tlsClientAuth?: TlsClientAuth
  clientAcceptEncoding?: string
  #cf: Cf | undefined | null = null
  #signal: AbortSignal | undefined | null = null

  constructor(request: Request, env: EdgeEnv, ctx: ExecutionContextLike) {
    super(request.url)
    this.request = request
    this.env = env
    this.ctx = ctx
    this.method = request.method
    this.body = request.body
  }

  /**
   * request.cf, read once and only when needed: workerd parses and freezes it on every request's
   * first read (measured at about 7% of a pass-through's throughput for its one-field object on
   * workerd; Cloudflare's has dozens of fields, and the edge there takes the client's address
   * from a header instead).
   */
  get cf(): Cf | undefined {
    if (this.#cf === null) this.#cf = (this.request as { cf?: Cf }).cf
    return this.#cf
  }

  /**
   * request.signal, read only when something asks (a body sent upstream, a socket, retry): the
   * first read makes the JavaScript object of the request's AbortSignal, 3-4 µs of CPU per request
   * under load (bench/proxy/ab.ts; docs/performance-history.md). Copies of the request
   * (`{ ...req }`) take it as a value: copyRequest() in ./request.ts.
   */
  get signal(): AbortSignal | undefined {
    if (this.#signal === null) this.#signal = this.request.signal ?? undefined
    return this.#signal
  }

  set signal(signal: AbortSignal | undefined) {
    this.#signal = signal
  }
}

// Not async, nor is route(): with the table at hand (source.ready) a request's only promise is
// its handler's, instead of a frame and an await per layer.
function serve(request: Request, env: EdgeEnv, ctx: ExecutionContextLike, source: TableSource): Promise<Response> {
  const a = new Arrival(request, env, ctx)
  const incoming = (a.incoming = readIncoming(request.headers))
  const host = (a.host = incoming.host ?? a.authority)
  // Go's server refuses a malformed Host before any handler (./entry-point/host.ts).
  if (!validHostHeader(host)) return Promise.resolve(malformedHost())
  // Traefik's entry point normalizes and sanitizes the path before its routers (./entry-point/path.ts).
  const path = entryPointPath(a.path, env.SANITIZE_PATH !== 'false')
  if (path === null) return Promise.resolve(badPath())
  a.path = path
  const view = source.ready?.(host, ctx) ?? null
  return view !== null ? route(a, view) : source.forHost(host, ctx).then((v) => route(a, v))
}

function route(a: Arrival, view: RoutingView | { error: string }): Promise<Response> {
  const { request, env, tls, host } = a
  if ('error' in view) return Promise.resolve(httpError(503, view.error))
  const entryPoint = entryPointOf(env, tls)
  if (tls && view.tls) {
    const connection = { options: env.TLS_OPTIONS || 'default', facts: a.cf }
    if (misdirected(view.tls, entryPoint, host, connection) !== null) return Promise.resolve(httpError(421, 'Misdirected Request'))
  }
  const ip = (a.clientIp = clientIp(request, env, a, view.target))
  a.hostname = env.EDGE_HOSTNAME || 'traefik-edge'
  a.trusted = trustedClient(ip, env.FORWARDED_TRUSTED_IPS)
  a.entryPoint = entryPoint
  a.headers = forwardedHeaders(a.incoming!, a, a)
  const req: EdgeRequest = a
  // The entry point's read timeout bounds how long a body may take (./entry-point/read-timeout.ts).
  let cut: AbortSignal | null = null
  if (a.body !== null) {
    const ms = readTimeoutMs(env.READ_TIMEOUT)
    if (ms > 0) {
      const within = withReadDeadline(a.body, Date.now(), ms)
      req.body = within.body
      cut = within.cut
      req.signal = req.signal === undefined ? cut : AbortSignal.any([req.signal, cut])
    }
  }
  const selected = selectRouter(view, req)
  // Access logs, metrics, tracing (./observability): null, and no cost, when none is on.
  const obs = observe(env, req, 'status' in selected ? null : selected.router, a)
  let res: Response
  let refused: Response | null
  if ('status' in selected) {
    res = selected.status === 404 ? httpError(404, '404 page not found') : httpError(400, STATUS_TEXT[400]!)
  } else if (req.path.includes('%') && (refused = entryPointDenial(env.ALLOW_ENCODED_CHARACTERS)(req.path)) !== null) {
    // Traefik's root routers refuse ambiguous encoded characters before their middlewares.
    res = refused
  } else {
    const router = selected.router
    const entry = built.get(router)
    let answer =
      entry !== undefined
        ? dispatch(entry, a, req, a.clean)
        : routerEntry(router, withServiceBuilder({ target: view.target, env: env as unknown as Record<string, unknown>, log: console.error })).then((e) =>
            dispatch(e, a, req, a.clean),
          )
    if (cut !== null) answer = answeredWithin(answer, cut)
    return obs === null ? answer : answer.then((r) => obs.finish(r))
  }
  return Promise.resolve(obs === null ? res : obs.finish(res))
}

/** Hands the request to its router's handler, with what the router's middlewares need set. */
function dispatch(entry: RouterEntry, a: Arrival, req: EdgeRequest, clean: boolean): Promise<Response> {
  // Cloudflare's mTLS facts: request.cf is read for them only where passTLSClientCert will ask.
  if (entry.readsClientCert) {
    const auth = a.cf?.tlsClientAuth
    if (auth) req.tlsClientAuth = auth as EdgeRequest['tlsClientAuth']
  }
  // Cloudflare rewrites Accept-Encoding and keeps the client's in request.cf: compress negotiates against that.
  if (entry.readsClientEncoding) {
    const accept = a.cf?.clientAcceptEncoding
    if (typeof accept === 'string') req.clientAcceptEncoding = accept
  }
  // Router middlewares that may change headers make the proxy clean up after them.
  req.hopFree = clean && entry.keepsHeadersClean
  return entry.handle(req)
}

/** A router's handler and what the request path asks of its middlewares, found once. */
interface RouterEntry {
  handle: Handler
  keepsHeadersClean: boolean
  readsClientCert: boolean
  /** compress runs for this router on Cloudflare, where the client's Accept-Encoding is in request.cf. */
  readsClientEncoding: boolean
}

const entries = new WeakMap<PreparedRouter, Promise<RouterEntry>>()
/** The same entries once built: a request then skips an await. */
const built = new WeakMap<PreparedRouter, RouterEntry>()

/** The router's middlewares in front of its service, built once per prepared router. */
function routerEntry(router: PreparedRouter, edge: EdgeContext): Promise<RouterEntry> {
  let e = entries.get(router)
  if (!e) {
    e = (async () => {
      const facts = {
        keepsHeadersClean: keepsHeadersClean(router.middlewares),
        readsClientCert: runsMiddleware(router, 'passTLSClientCert'),
        readsClientEncoding: edge.target === 'cloudflare' && runsMiddleware(router, 'compress'),
      }
      if (router.error) {
        const { status, message } = router.error
        console.error(`[edge] router ${router.name}: ${message}`)
        return { handle: async () => httpError(status, STATUS_TEXT[status] ?? 'Internal Server Error'), ...facts }
      }
      const service = await serviceHandler(router.service, edge)
      return { handle: chain(router.middlewares, service.handle, edge), ...facts }
    })()
    entries.set(router, e)
    void e.then(
      (entry) => built.set(router, entry),
      () => {},
    )
  }
  return e
}

/** Whether a middleware of this type may run for the router: its own, or its services' (children included). */
function runsMiddleware(router: PreparedRouter, type: string): boolean {
  const seen = new Set<PreparedService>()
  const inService = (svc: PreparedService): boolean => {
    if (seen.has(svc)) return false
    seen.add(svc)
    if (svc.middlewares.some((m) => m.type === type)) return true
    switch (svc.kind) {
      case 'weighted':
        return svc.children.some((c) => inService(c.service))
      case 'mirroring':
        return inService(svc.main)
      case 'failover':
        return inService(svc.main) || inService(svc.fallback)
      default:
        return false
    }
  }
  return router.middlewares.some((m) => m.type === type) || inService(router.service)
}
