/**
 * Services as handlers, built once per prepared service (so balancer rotation and mirror counts
 * live as long as the table version): Traefik's load balancer over servers, weighted services
 * (the same WRR over child services), mirroring and failover, each behind its service-level
 * middlewares. `up` is the health Traefik propagates to parents that ask for it (healthCheck).
 *
 * @module
 */
import type { PreparedService } from '../../../shared/table/view.ts'
import { PassiveHealth } from '../health/passive.ts'
import { observedUpstream } from '../observability/observation.ts'
import { Balancer } from '../loadbalancer/balancer.ts'
import { recordResponse } from '../loadbalancer/strategies.ts'
import { chain, type EdgeContext } from '../middlewares/index.ts'
import { parseZones, reverseProxy } from '../proxy/index.ts'
import { tunnelTransport } from '../proxy/tunnel-transport.ts'
import { pooledSocketTransport } from '../proxy/socket-pool/transport.ts'
import { STATUS_TEXT, copyRequest, httpError, type EdgeRequest, type Handler } from '../request.ts'
import { withResponseHeaders } from '../response.ts'
import { bufferBody } from '../middlewares/toolkit/body.ts'
import { bytesStream } from '../middlewares/toolkit/bytes-stream.ts'
import { internalService } from './internal.ts'

export interface ServiceHandler {
  handle: Handler
  /** Whether a parent with healthCheck sees this service as up. */
  up: boolean
}

const built = new WeakMap<PreparedService, Promise<ServiceHandler>>()

/** `edge` with this module as its service builder (what the errors middleware's page is made with). */
export function withServiceBuilder(edge: EdgeContext): EdgeContext {
  const full: EdgeContext = { ...edge, serviceHandler: (svc) => serviceHandler(svc, full).then((h) => h.handle) }
  return full
}

export function serviceHandler(svc: PreparedService, edge: EdgeContext): Promise<ServiceHandler> {
  let h = built.get(svc)
  if (!h) {
    h = build(svc, edge).then((inner) => ({
      get up() {
        return inner.up
      },
      handle: withMiddlewares(svc, inner.handle, edge),
    }))
    built.set(svc, h)
  }
  return h
}

/** The service's own middlewares in front of it; they may change headers (EdgeRequest.hopFree). */
function withMiddlewares(svc: PreparedService, handle: Handler, edge: EdgeContext): Handler {
  if (svc.middlewares.length === 0) return handle
  const chained = chain(svc.middlewares, handle, edge)
  return (req) => {
    req.hopFree = false
    return chained(req)
  }
}

async function build(svc: PreparedService, edge: EdgeContext): Promise<ServiceHandler> {
  switch (svc.kind) {
    case 'loadBalancer': {
      const spec = svc.spec
      const passive = spec.passiveHealthCheck ? new PassiveHealth(spec.passiveHealthCheck) : null
      const pooled = pooledSocketTransport(edge.env)
      const tunnel = tunnelTransport(edge.env)
      const zones = parseZones(edge.env.CLOUDFLARE_ZONES as string | undefined)
      const balancer = await Balancer.create(
        svc.servers.map((server) => {
          const child = {
            name: server.url,
            weight: server.weight,
            up: !spec.healthCheck || server.up,
            fenced: server.fenced,
            target: observedUpstream(
              svc.name,
              server.url,
              reverseProxy(server, {
                target: edge.target,
                passHostHeader: spec.passHostHeader,
                transport: svc.transport,
                env: edge.env,
                socketVia: pooled,
                tunnelVia: tunnel,
                zones,
              }),
            ),
          }
          return passive ? passive.watch(child) : child
        }),
        { sticky: spec.sticky, shuffle: true, ...(spec.strategy ? { strategy: spec.strategy } : {}) },
      )
      // A getter: passive health changes the balancer's status between table versions.
      return {
        get up() {
          return !spec.healthCheck || balancer.up
        },
        handle: balanced(balancer),
      }
    }
    case 'weighted': {
      const children = await Promise.all(svc.children.map(async (c) => ({ c, h: await serviceHandler(c.service, edge) })))
      const balancer = await Balancer.create(
        children.map(({ c, h }) => ({
          name: c.service.name,
          weight: c.weight,
          get up() {
            return !svc.spec.healthCheck || h.up
          },
          target: h.handle,
        })),
        { sticky: svc.spec.sticky, ...(svc.spec.strategy ? { strategy: svc.spec.strategy } : {}) },
      )
      return {
        get up() {
          return !svc.spec.healthCheck || balancer.up
        },
        handle: balanced(balancer),
      }
    }
    case 'mirroring':
      return mirroring(svc, await serviceHandler(svc.main, edge), await Promise.all(svc.mirrors.map((m) => serviceHandler(m.service, edge))))
    case 'failover':
      return failover(svc, await serviceHandler(svc.main, edge), await serviceHandler(svc.fallback, edge))
    case 'internal':
      return internalService(svc, edge)
    case 'unservable': {
      const { status, message } = svc
      const text = STATUS_TEXT[status] ?? 'Internal Server Error'
      return {
        up: true,
        async handle() {
          console.error(`[edge] service ${svc.name}: ${message}`)
          return httpError(status, text)
        },
      }
    }
  }
}

function balanced(balancer: Balancer<Handler>): Handler {
  return function balance(req) {
    const pick = balancer.pick(balancer.sticky ? req.headers.get('cookie') : null, req.clientIp)
    if (!pick) return Promise.resolve(httpError(503, 'no available server'))
    // The common case hands the server's promise on as it is: no async frame of its own.
    if (!pick.load && !pick.setCookie) return pick.target(req)
    return tracked(pick, req)
  }
}

/** p2c/leasttime load accounting and sticky cookies around the server's answer. */
async function tracked(pick: NonNullable<ReturnType<Balancer<Handler>['pick']>>, req: EdgeRequest): Promise<Response> {
  const load = pick.load
  let res: Response
  if (load) {
    // p2c and leasttime: requests in flight, and the time to the response head.
    load.inFlight++
    const start = Date.now()
    try {
      res = await pick.target(req)
      recordResponse(load, Date.now() - start)
    } finally {
      load.inFlight--
    }
  } else res = await pick.target(req)
  const cookie = pick.setCookie
  return cookie ? withResponseHeaders(res, (h) => h.append('set-cookie', cookie)) : res
}

/** A copy of the request with its own headers and the given body. */
function copy(req: EdgeRequest, body: Uint8Array | null): EdgeRequest {
  return copyRequest(req, { headers: new Headers(req.headers), body: body === null ? null : bytesStream(body) })
}

function mirroring(svc: Extract<PreparedService, { kind: 'mirroring' }>, main: ServiceHandler, mirrors: ServiceHandler[]): ServiceHandler {
  let total = 0
  const counts = mirrors.map(() => 0)
  const { mirrorBody, maxBodySize } = svc.spec
  return {
    up: !svc.spec.healthCheck || main.up,
    async handle(req) {
      // Traefik's deterministic share: mirror i gets request n when count_i*100 < n*percent_i.
      total++
      const active = mirrors.filter((_, i) => {
        if (counts[i]! * 100 < total * svc.mirrors[i]!.percent) {
          counts[i]!++
          return true
        }
        return false
      })
      if (active.length === 0) return main.handle(req)
      let body: Uint8Array | null = null
      if (mirrorBody) {
        const buffered = await bufferBody(req.body, maxBodySize)
        if (!buffered.complete) return main.handle(copyRequest(req, { body: buffered.stream }))
        body = buffered.bytes
      }
      // The main request gets its own headers (the proxy changes them); mirrors copy the original.
      const res = await main.handle(mirrorBody ? copy(req, body) : copyRequest(req, { headers: new Headers(req.headers) }))
      if (req.signal?.aborted) return res
      // Mirrors run after the main response is handed back; their answers are dropped.
      // Mirrors are not this request's: no signal, and not in its access log, metrics or trace.
      const base = copyRequest(req, { signal: undefined, observation: undefined })
      req.ctx.waitUntil(
        (async () => {
          for (const m of active) {
            try {
              const r = await m.handle(copy(base, body))
              await r.body?.cancel()
            } catch (err) {
              console.error(`[edge] mirror of ${svc.name}: ${(err as Error).message}`)
            }
          }
        })(),
      )
      return res
    },
  }
}

function failover(svc: Extract<PreparedService, { kind: 'failover' }>, main: ServiceHandler, fallback: ServiceHandler): ServiceHandler {
  const ranges = svc.spec.errorStatus
  return {
    up: !svc.spec.healthCheck || main.up || fallback.up,
    async handle(req) {
      if (!main.up) return fallback.up ? fallback.handle(req) : httpError(503, 'Service Unavailable')
      if (!ranges || !fallback.up) return main.handle(req)
      const buffered = await bufferBody(req.body, svc.spec.maxRequestBodyBytes)
      if (!buffered.complete) {
        await buffered.stream.cancel()
        return httpError(413, 'Request Entity Too Large')
      }
      const res = await main.handle(copy(req, buffered.bytes))
      if (!ranges.some(([from, to]) => res.status >= from && res.status <= to)) return res
      await res.body?.cancel()
      return fallback.handle(copy(req, buffered.bytes))
    },
  }
}
