// Observability end to end through real workerd: access-log JSON lines on workerd's stdout with
// Traefik's field names, Prometheus metrics on the internal metrics socket (a user route on
// /metrics is not shadowed), W3C traceparent propagated upstream and spans received by a loopback
// OTLP/HTTP collector without the response waiting for it, and each router's toggles honoured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { gunzipSync, gzipSync } from 'node:zlib'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryKvStore } from '../../control-plane/kv/memory-store.ts'
import { startLocalEdge, type LocalEdge } from '../../control-plane/runtime/local-edge.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { buildEdgeInput } from '../support/edge.ts'
import { send } from '../support/http.ts'
import { startUpstream, type Upstream } from '../support/upstream.ts'

interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Array<{ key: string; value: Record<string, unknown> }>
}

/** A loopback OTLP/HTTP collector that holds every answer until released. */
async function startCollector() {
  const spans: OtlpSpan[] = []
  const held: ServerResponse[] = []
  let pending = 0
  let exports = 0
  const waiters: Array<() => void> = []
  const server: Server = createServer((req: IncomingMessage, res) => {
    pending++
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      for (const rs of body.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans)
      exports++
      held.push(res)
      for (const w of waiters.splice(0)) w()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    spans,
    /** Exports whose answer is still held. */
    get pending() {
      return pending
    },
    get exports() {
      return exports
    },
    /** Resolves once `n` exports have arrived in all (bounded by the test's timeout). */
    async received(n: number) {
      while (exports < n) await new Promise<void>((r) => waiters.push(r))
    },
    /** The spans of a trace, once at least `n` have arrived (bounded by the test's timeout). */
    async trace(traceId: string, n: number) {
      for (;;) {
        const found = spans.filter((s) => s.traceId === traceId)
        if (found.length >= n) return found
        await new Promise<void>((r) => waiters.push(r))
      }
    },
    release() {
      for (const res of held.splice(0)) {
        pending--
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      }
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

describe('observability at the edge', () => {
  let edge: LocalEdge
  let upstream: Upstream
  let special: Upstream
  let collector: Awaited<ReturnType<typeof startCollector>>
  let stateDir: string
  const lines: string[] = []

  const accessLogs = () =>
    lines.flatMap((l) => {
      const at = l.indexOf('{"ClientAddr"')
      return at === -1 ? [] : [JSON.parse(l.slice(at)) as Record<string, unknown>]
    })
  /** Access-log lines are written once the body is sent: wait for `n` of them (bounded by the test timeout). */
  const logged = async (n: number) => {
    while (accessLogs().length < n) await new Promise((r) => setTimeout(r, 20))
    return accessLogs()
  }

  beforeAll(async () => {
    upstream = await startUpstream({ host: '127.0.0.7', name: 'up' })
    // A gzip body with its Content-Length, and a body streamed in chunks without one.
    special = await startUpstream({
      host: '127.0.0.8',
      handler: (req, res) => {
        if (req.url === '/gzip') {
          const body = gzipSync(Buffer.from('compressed '.repeat(200)))
          return void res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': body.length, 'content-type': 'text/plain' }).end(body)
        }
        res.writeHead(200, { 'content-type': 'text/plain' })
        let n = 0
        const tick = setInterval(() => {
          res.write(`chunk ${n}\n`)
          if (++n === 5) {
            clearInterval(tick)
            res.end()
          }
        }, 5)
      },
    })
    collector = await startCollector()
    stateDir = await mkdtemp(join(tmpdir(), 'edge-obs-'))
    edge = await startLocalEdge({
      store: createMemoryKvStore(),
      stateDir,
      entryPoints: [{ name: 'web', address: '127.0.0.1:0' }],
      metricsAddress: '127.0.0.1:0',
      vars: { ACCESS_LOG: 'true', TRACING_OTLP_ENDPOINT: collector.url },
      log: (l) => lines.push(l),
    })
    const config: DynamicConfig = {
      http: {
        routers: {
          logged: { rule: 'Host(`logged.test`)', service: 'app' },
          quiet: { rule: 'Host(`quiet.test`)', service: 'app', observability: { accessLogs: false, metrics: false, tracing: false } },
          fetched: { rule: 'Host(`fetched.test`)', service: 'fetched' },
        },
        services: {
          app: { loadBalancer: { servers: [{ url: upstream.url }], passHostHeader: true } },
          // fetch(): the runtime holds a compressed body encoded, which observing must not disturb.
          fetched: { loadBalancer: { servers: [{ url: special.url }], passHostHeader: false } },
        },
      },
    }
    await edge.publish(buildEdgeInput({ config }).table)
    await new Promise((r) => setTimeout(r, 300))
  })
  afterAll(async () => {
    collector?.release()
    await edge?.stop()
    await upstream?.close()
    await special?.close()
    await collector?.close()
    if (stateDir) await rm(stateDir, { recursive: true, force: true })
  })

  it("writes one access-log JSON line per request with Traefik's field names", async () => {
    const res = await send(`${edge.url()}/a/b?x=1`, { headers: { host: 'logged.test:8000', 'user-agent': 't' } })
    expect(res.status).toBe(200)
    const [entry] = await logged(1)
    expect(entry).toMatchObject({
      ClientHost: '127.0.0.1',
      RequestMethod: 'GET',
      RequestPath: '/a/b?x=1',
      RequestHost: 'logged.test',
      RequestPort: '8000',
      RequestAddr: 'logged.test:8000',
      RequestProtocol: 'HTTP/1.1',
      RequestScheme: 'http',
      DownstreamStatus: 200,
      DownstreamContentSize: Buffer.byteLength(res.body),
      OriginStatus: 200,
      RouterName: 'logged',
      ServiceName: 'app',
      ServiceURL: upstream.url,
      ServiceAddr: `127.0.0.7:${upstream.port}`,
      entryPointName: 'web',
    })
    expect(typeof entry!.Duration).toBe('number')
    expect(entry!.Duration as number).toBeGreaterThanOrEqual(entry!.OriginDuration as number)
    expect(Date.parse(entry!.StartUTC as string)).not.toBeNaN()
  })

  it('propagates an incoming trace upstream as a child span and exports the spans, the response not waiting for the collector', async () => {
    collector.release()
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const parent = '00f067aa0ba902b7'
    const res = await send(`${edge.url()}/t`, { headers: { host: 'logged.test', traceparent: `00-${traceId}-${parent}-01` } })
    expect(res.status).toBe(200)
    const seen = JSON.parse(res.body).headers.traceparent as string
    const [, tid, spanId, flags] = seen.split('-')
    expect([tid, flags]).toEqual([traceId, '01'])
    expect(spanId).not.toBe(parent)
    // The client has its answer; the export arrives and is held by the collector meanwhile.
    const spans = await collector.trace(traceId, 2)
    expect(collector.pending).toBeGreaterThan(0)
    const server = spans.find((s) => s.name === 'EntryPoint')!
    const proxy = spans.find((s) => s.name === 'ReverseProxy')!
    expect(server).toMatchObject({ kind: 2, parentSpanId: parent })
    expect(proxy).toMatchObject({ kind: 3, spanId, parentSpanId: server.spanId })
    expect(proxy.attributes).toContainEqual({ key: 'http.response.status_code', value: { intValue: '200' } })
    collector.release()
  })

  it('starts a trace when the request has none', async () => {
    const res = await send(`${edge.url()}/n`, { headers: { host: 'logged.test' } })
    expect(JSON.parse(res.body).headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
  })

  it('a router with accessLogs, metrics and tracing off: no log line, no span, the trace context untouched, no router metrics', async () => {
    const logs = accessLogs().length
    const quietTrace = '11111111111111111111111111111111'
    const incoming = `00-${quietTrace}-2222222222222222-01`
    const res = await send(`${edge.url()}/q`, { headers: { host: 'quiet.test', traceparent: incoming } })
    expect(res.status).toBe(200)
    // Tracing off: the incoming context passes through untouched, as any other header.
    expect(JSON.parse(res.body).headers.traceparent).toBe(incoming)
    // A request on the logged router after it: its line and spans arrive, the quiet one's never do.
    const loggedTrace = '33333333333333333333333333333333'
    await send(`${edge.url()}/after`, { headers: { host: 'logged.test', traceparent: `00-${loggedTrace}-4444444444444444-01` } })
    const after = await logged(logs + 1)
    expect(after.slice(logs).map((e) => e.RouterName)).toEqual(['logged'])
    collector.release()
    await collector.trace(loggedTrace, 2)
    expect(collector.spans.filter((s) => s.traceId === quietTrace)).toEqual([])
    collector.release()
  })

  it('passes compressed and streamed bodies intact, and counts what the client got', async () => {
    const logs = accessLogs().length
    const gz = await sendRaw(`${edge.url()}/gzip`, { host: 'fetched.test', 'accept-encoding': 'gzip' })
    expect(gz.status).toBe(200)
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gunzipSync(gz.body).toString()).toBe('compressed '.repeat(200))
    const streamed = await send(`${edge.url()}/stream`, { headers: { host: 'fetched.test' } })
    expect(streamed.body).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n')
    const [gzLine, streamLine] = (await logged(logs + 2)).slice(logs)
    expect(gzLine).toMatchObject({ RequestPath: '/gzip', DownstreamStatus: 200, DownstreamContentSize: gz.body.length })
    expect(streamLine).toMatchObject({ RequestPath: '/stream', DownstreamContentSize: 40 })
  })

  it('serves Prometheus metrics on the internal socket, per entry point, router and service; /metrics on web stays a user route', async () => {
    await send(`${edge.url()}/missing`, { headers: { host: 'nowhere.test' } })
    const user = await send(`${edge.url()}/metrics`, { headers: { host: 'logged.test' } })
    expect(JSON.parse(user.body).url).toBe('/metrics')
    // Counters are recorded when the body is sent: poll the scrape (bounded by the test timeout).
    let text = ''
    for (;;) {
      text = (await send(edge.metricsUrl!)).body
      if (text.includes('code="404"')) break
      await new Promise((r) => setTimeout(r, 20))
    }
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1])
    expect(text).toContain('# TYPE traefik_router_requests_total counter')
    expect(text).toContain('# TYPE traefik_service_request_duration_seconds histogram')
    expect(value('traefik_router_requests_total{code="200",method="GET",protocol="http",router="logged",service="app"}')).toBeGreaterThanOrEqual(4)
    expect(value('traefik_service_requests_total{code="200",method="GET",protocol="http",service="app"}')).toBeGreaterThanOrEqual(4)
    expect(value('traefik_entrypoint_requests_total{code="404",method="GET",protocol="http",entrypoint="web"}')).toBe(1)
    // The quiet router's request counts on the entry point only.
    expect(text).not.toContain('router="quiet"')
    const count = value('traefik_entrypoint_request_duration_seconds_count{code="200",method="GET",protocol="http",entrypoint="web"}')
    expect(value('traefik_entrypoint_request_duration_seconds_bucket{code="200",method="GET",protocol="http",entrypoint="web",le="+Inf"}')).toBe(count)
    expect((await send(edge.metricsUrl!.replace('/metrics', '/other'))).status).toBe(404)
  })
})

/** A GET whose body is kept as bytes (a compressed answer is not text). */
function sendRaw(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}
