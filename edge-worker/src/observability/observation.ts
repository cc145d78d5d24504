/**
 * One request as observability sees it: started when the muxer has picked the router (or found
 * none), told which server the load balancer sent it to, finished when the response body has
 * been handed to the client. Then, per what is on (./settings.ts) and what the router allows
 * (its `observability` toggles, default on): an access-log line, metrics, spans.
 *
 * Nothing here delays the response: the end of the body is watched through a stream the body
 * already had to pass, and the work after it runs under ctx.waitUntil.
 *
 * @module
 */
import type { PreparedRouter } from '../../../shared/table/view.ts'
import type { EdgeRequest, Handler } from '../request.ts'
import { accessLogEntry } from './access-log.ts'
import { MetricsRegistry } from './metrics.ts'
import { SPAN_KIND, exportSpans, type SpanData } from './otlp.ts'
import { observabilitySettings, type ObservabilityEnv, type ObservabilitySettings } from './settings.ts'
import { formatTraceParent, parseTraceParent, randomId } from './trace-context.ts'

/** This isolate's metrics (read by the `metrics` entrypoint, ./entrypoints.ts). */
export const registry = new MetricsRegistry()
let requestCount = 0

interface Trace {
  traceId: string
  sampled: boolean
  serverSpanId: string
  parentSpanId?: string
  detailed: boolean
}

export class Observation {
  readonly #settings: ObservabilitySettings
  readonly #req: EdgeRequest
  readonly #router: PreparedRouter | null
  readonly #startMs = Date.now()
  readonly #requestUri: string
  /** Read before the proxy drops hop-by-hop headers (Upgrade). */
  readonly #protocol: string
  readonly #accessLog: boolean
  readonly #metrics: boolean
  readonly #trace: Trace | null
  readonly #spans: SpanData[] = []
  #service: string | undefined
  #serviceUrl: string | undefined
  #serviceAddr: string | undefined
  #origin: { status: number; durationNs: number; size: number } | undefined
  #proxySpan: SpanData | null = null
  #cf: { tlsVersion?: string; tlsCipher?: string; httpProtocol?: string } | undefined

  constructor(settings: ObservabilitySettings, req: EdgeRequest, router: PreparedRouter | null, cf: Observation['cf']) {
    this.#settings = settings
    this.#req = req
    this.#router = router
    this.#cf = cf
    this.#requestUri = req.query === '' ? req.path : `${req.path}?${req.query}`
    this.#service = router?.service.name
    this.#protocol = requestProtocol(req.headers)
    const toggles = router?.observability
    this.#accessLog = settings.accessLog && toggles?.accessLogs !== false
    this.#metrics = toggles?.metrics !== false
    this.#trace =
      settings.tracing && router && toggles?.tracing !== false ? this.#startTrace(settings.tracing.sampleRate, toggles?.traceVerbosity === 'detailed') : null
  }

  get cf() {
    return this.#cf
  }

  #startTrace(sampleRate: number, detailed: boolean): Trace {
    const incoming = parseTraceParent(this.#req.headers.get('traceparent'))
    // Parent-based sampling, as Traefik's default sampler: an incoming decision is kept.
    const sampled = incoming ? incoming.sampled : Math.random() < sampleRate
    return {
      traceId: incoming?.traceId ?? randomId(16),
      sampled,
      serverSpanId: randomId(8),
      ...(incoming ? { parentSpanId: incoming.spanId } : {}),
      detailed,
    }
  }

  /** The load balancer picked `url` of `service`: the upstream gets the trace context of a new client span. */
  upstream(service: string, url: string, headers: Headers): void {
    this.#service = service
    this.#serviceUrl = url
    this.#serviceAddr = hostOf(url)
    const t = this.#trace
    if (!t) return
    const span: SpanData = {
      name: 'ReverseProxy',
      kind: SPAN_KIND.client,
      traceId: t.traceId,
      spanId: randomId(8),
      parentSpanId: t.serverSpanId,
      startMs: Date.now(),
      endMs: 0,
      attributes: {
        'url.full': url + this.#requestUri,
        'http.request.method': this.#req.method,
        'server.address': this.#serviceAddr,
        'traefik.service.name': service,
      },
      error: false,
    }
    this.#proxySpan = span
    this.#spans.push(span)
    headers.set('traceparent', formatTraceParent(t.traceId, span.spanId, t.sampled))
  }

  /** The server's answer (or the proxy's 502/504 for it). */
  origin(res: Response): void {
    const now = Date.now()
    const start = this.#proxySpan?.startMs ?? now
    this.#origin = { status: res.status, durationNs: (now - start) * 1e6, size: Number(res.headers.get('content-length') ?? 0) || 0 }
    if (this.#proxySpan) {
      this.#proxySpan.endMs = now
      this.#proxySpan.attributes['http.response.status_code'] = res.status
      this.#proxySpan.error = res.status >= 500
    }
  }

  /** The response as the client gets it: its end is watched, then the request is logged, counted and traced. */
  finish(res: Response): Response {
    const body = res.body
    const length = res.headers.get('content-length')
    const encoding = res.headers.get('content-encoding')
    // A body the runtime holds encoded (Content-Encoding) must reach the client untouched: read
    // from JS it would be decoded and encoded again, and no longer match its Content-Length. Its
    // end is not watched: the request is accounted when the headers are handed over.
    if (body === null || res.status === 101 || (res as { webSocket?: unknown }).webSocket || (encoding !== null && encoding.toLowerCase() !== 'identity')) {
      this.#req.ctx.waitUntil(this.#done(res.status, body === null ? 0 : Number(length ?? 0) || 0))
      return res
    }
    let size = 0
    let counted: ReadableStream<Uint8Array>
    let ended: Promise<unknown>
    const Fixed = (globalThis as { FixedLengthStream?: new (n: number) => TransformStream<Uint8Array, Uint8Array> }).FixedLengthStream
    if (length !== null && Fixed) {
      // The runtime's own identity stream keeps the length (no chunked re-framing) and costs no JS per chunk.
      size = Number(length)
      const fixed = new Fixed(size)
      ended = body.pipeTo(fixed.writable)
      counted = fixed.readable
    } else {
      const counter = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          size += chunk.byteLength
          c.enqueue(chunk)
        },
      })
      ended = body.pipeTo(counter.writable)
      counted = counter.readable
    }
    const status = res.status
    this.#req.ctx.waitUntil(
      ended.then(
        () => this.#done(status, size),
        () => this.#done(status, size),
      ),
    )
    return new Response(counted, res)
  }

  async #done(status: number, size: number): Promise<void> {
    const end = Date.now()
    const durationMs = end - this.#startMs
    const router = this.#router?.name
    const protocol = this.#protocol
    requestCount++
    if (this.#accessLog) {
      console.log(
        JSON.stringify(
          accessLogEntry({
            clientIp: this.#req.clientIp,
            method: this.#req.method,
            host: this.#req.host,
            requestUri: this.#requestUri,
            protocol: this.#cf?.httpProtocol ?? 'HTTP/1.1',
            tls: this.#req.tls,
            requestContentSize: Number(this.#req.headers.get('content-length') ?? 0) || 0,
            entryPoint: this.#req.entryPoint,
            ...(router === undefined ? {} : { router }),
            ...(this.#service === undefined ? {} : { service: this.#service }),
            ...(this.#serviceUrl === undefined ? {} : { serviceUrl: this.#serviceUrl, serviceAddr: this.#serviceAddr! }),
            ...(this.#origin ? { originStatus: this.#origin.status, originDurationNs: this.#origin.durationNs, originContentSize: this.#origin.size } : {}),
            status,
            size,
            startMs: this.#startMs,
            durationNs: durationMs * 1e6,
            requestCount,
            ...(this.#cf?.tlsVersion ? { tlsVersion: this.#cf.tlsVersion } : {}),
            ...(this.#cf?.tlsCipher ? { tlsCipher: this.#cf.tlsCipher } : {}),
          }),
        ),
      )
    }
    if (this.#settings.prometheus) {
      registry.record({
        code: status,
        method: this.#req.method,
        protocol,
        entryPoint: this.#req.entryPoint,
        ...(router === undefined ? {} : { router }),
        ...(this.#service === undefined ? {} : { service: this.#service }),
        routerMetrics: this.#metrics,
        seconds: durationMs / 1000,
      })
    }
    if (this.#settings.dataset && this.#metrics) {
      try {
        this.#settings.dataset.writeDataPoint({
          indexes: [router ?? this.#req.entryPoint],
          blobs: [
            this.#req.entryPoint,
            router ?? '',
            this.#service ?? '',
            this.#req.method,
            protocol,
            `${Math.floor(status / 100)}xx`,
            this.#serviceUrl ?? '',
            this.#req.host,
          ],
          doubles: [status, durationMs, size],
        })
      } catch (err) {
        console.error(`[edge] Analytics Engine: ${(err as Error).message}`)
      }
    }
    const t = this.#trace
    const tracing = this.#settings.tracing
    if (t && t.sampled && tracing) {
      const attributes = {
        'http.request.method': this.#req.method,
        'url.path': this.#req.path,
        'url.scheme': this.#req.tls ? 'https' : 'http',
        'server.address': this.#req.host,
        'client.address': this.#req.clientIp,
        'http.response.status_code': status,
        entry_point: this.#req.entryPoint,
      }
      const spans: SpanData[] = [
        {
          name: 'EntryPoint',
          kind: SPAN_KIND.server,
          traceId: t.traceId,
          spanId: t.serverSpanId,
          ...(t.parentSpanId ? { parentSpanId: t.parentSpanId } : {}),
          startMs: this.#startMs,
          endMs: end,
          attributes,
          error: status >= 500,
        },
      ]
      if (t.detailed) {
        spans.push({
          name: 'Router',
          kind: SPAN_KIND.internal,
          traceId: t.traceId,
          spanId: randomId(8),
          parentSpanId: t.serverSpanId,
          startMs: this.#startMs,
          endMs: end,
          attributes: { 'traefik.router.name': router ?? '', 'traefik.service.name': this.#service ?? '' },
          error: false,
        })
      }
      for (const s of this.#spans) if (s.endMs === 0) s.endMs = end
      await exportSpans(tracing.endpoint, tracing.headers, tracing.serviceName, [...spans, ...this.#spans])
    }
  }
}

/**
 * Starts observing a routed request (router null: none matched); null when nothing is on.
 * `holder`: where request.cf is read (the request, or the edge's per-request Arrival, which reads
 * it once): only when something is observed, since the read is a runtime call.
 */
export function observe(
  env: ObservabilityEnv,
  req: EdgeRequest,
  router: PreparedRouter | null,
  holder?: { readonly cf?: Observation['cf'] },
): Observation | null {
  const settings = observabilitySettings(env)
  if (!settings.any) return null
  const o = new Observation(settings, req, router, holder?.cf)
  req.observation = o
  return o
}

/** Wraps a server's proxy: the observation learns the server and its answer (a no-op without one). */
export function observedUpstream(service: string, url: string, proxy: Handler): Handler {
  // Not async: an async function returning the proxy's promise adds promise jobs to every request.
  return (req) => {
    const o = req.observation
    if (!o) return proxy(req)
    o.upstream(service, url, req.headers)
    return proxy(req).then((res) => {
      o.origin(res)
      return res
    })
  }
}

/** Traefik's protocol label: websocket, grpc, grpc-web or http. */
function requestProtocol(headers: Headers): string {
  if ((headers.get('upgrade') ?? '').toLowerCase() === 'websocket') return 'websocket'
  const ct = headers.get('content-type') ?? ''
  if (ct.startsWith('application/grpc-web')) return 'grpc-web'
  if (ct.startsWith('application/grpc')) return 'grpc'
  return 'http'
}

function hostOf(url: string): string {
  const start = url.indexOf('//') + 2
  const end = url.indexOf('/', start)
  return url.slice(start, end === -1 ? url.length : end)
}
