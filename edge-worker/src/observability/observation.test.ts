// An observed request outside the runtime: the access-log line, the Analytics Engine point and
// the spans come once the body has been read, never before; a router's toggles switch them off.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PreparedRouter } from '../../../shared/table/view.ts'
import type { EdgeRequest } from '../request.ts'
import { observe, observedUpstream } from './observation.ts'

function request(headers: Record<string, string> = {}) {
  const pending: Array<Promise<unknown>> = []
  const req: EdgeRequest = {
    method: 'POST',
    host: 'app.test:8443',
    path: '/p',
    query: 'a=1',
    headers: new Headers(headers),
    body: null,
    clientIp: '192.0.2.1',
    tls: true,
    entryPoint: 'websecure',
    skipXff: false,
    ctx: { waitUntil: (p) => void pending.push(p) },
    signal: undefined,
  }
  return { req, settle: () => Promise.all(pending) }
}
const router = (observability?: PreparedRouter['observability']) =>
  ({
    name: 'r@file',
    rule: '',
    priority: 1,
    tls: true,
    middlewares: [],
    service: { name: 'svc', kind: 'unservable', middlewares: [], status: 500, message: '' },
    ...(observability ? { observability } : {}),
  }) as PreparedRouter

afterEach(() => vi.restoreAllMocks())

describe('Observation', () => {
  it('is not created when nothing is on', () => {
    expect(observe({}, request().req, router())).toBeNull()
  })

  it("logs Traefik's fields once the body has been read, with the server the balancer picked", async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const { req, settle } = request({ 'content-length': '3' })
    const obs = observe({ ACCESS_LOG: 'true' }, req, router(), { cf: { tlsVersion: 'TLSv1.3', httpProtocol: 'HTTP/2' } })!
    const upstream = observedUpstream('svc-lb', 'http://10.0.0.1:8080', async () => new Response('hello', { status: 201 }))
    const res = obs.finish(await upstream(req))
    expect(log).not.toHaveBeenCalled()
    expect(await res.text()).toBe('hello')
    await settle()
    const entry = JSON.parse(log.mock.calls[0]![0] as string)
    expect(entry).toMatchObject({
      ClientHost: '192.0.2.1',
      RequestMethod: 'POST',
      RequestPath: '/p?a=1',
      RequestHost: 'app.test',
      RequestPort: '8443',
      RequestScheme: 'https',
      RequestProtocol: 'HTTP/2',
      RequestContentSize: 3,
      DownstreamStatus: 201,
      DownstreamContentSize: 5,
      OriginStatus: 201,
      RouterName: 'r@file',
      ServiceName: 'svc-lb',
      ServiceURL: 'http://10.0.0.1:8080',
      ServiceAddr: '10.0.0.1:8080',
      entryPointName: 'websecure',
      TLSVersion: 'TLSv1.3',
    })
  })

  it('accessLogs: false on the router writes no line', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    const { req, settle } = request()
    observe({ ACCESS_LOG: 'true' }, req, router({ accessLogs: false }))!.finish(new Response(null, { status: 204 }))
    await settle()
    expect(log).not.toHaveBeenCalled()
  })

  it('writes one Analytics Engine data point per request when bound', async () => {
    const points: unknown[] = []
    const { req, settle } = request()
    const obs = observe({ METRICS_DATASET: { writeDataPoint: (p) => void points.push(p) } }, req, router())!
    await obs.finish(new Response('abc', { status: 503 })).text()
    await settle()
    expect(points).toEqual([
      { indexes: ['r@file'], blobs: ['websecure', 'r@file', 'svc', 'POST', 'http', '5xx', '', 'app.test:8443'], doubles: [503, expect.any(Number), 3] },
    ])
  })

  it("exports spans after the body, with the upstream's traceparent naming the client span", async () => {
    const bodies: string[] = []
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (_url, init) => {
      bodies.push(String(init!.body))
      return new Response('{}')
    })
    const { req, settle } = request({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })
    const obs = observe({ TRACING_OTLP_ENDPOINT: 'http://collector/v1/traces' }, req, router({ traceVerbosity: 'detailed' }))!
    let sent = ''
    const upstream = observedUpstream('svc', 'http://10.0.0.1', async (r) => {
      sent = r.headers.get('traceparent')!
      return new Response('x')
    })
    const res = obs.finish(await upstream(req))
    expect(bodies).toEqual([])
    await res.text()
    await settle()
    const spans = JSON.parse(bodies[0]!).resourceSpans[0].scopeSpans[0].spans as Array<{ name: string; spanId: string; parentSpanId?: string; traceId: string }>
    expect(spans.map((s) => s.name)).toEqual(['EntryPoint', 'Router', 'ReverseProxy'])
    expect(spans.every((s) => s.traceId === '4bf92f3577b34da6a3ce929d0e0e4736')).toBe(true)
    expect(spans[0]!.parentSpanId).toBe('00f067aa0ba902b7')
    expect(sent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${spans[2]!.spanId}-01`)
  })

  it('an unsampled incoming trace is propagated but not exported', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch')
    const { req, settle } = request({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' })
    const obs = observe({ TRACING_OTLP_ENDPOINT: 'http://collector/v1/traces' }, req, router())!
    let sent = ''
    const res = obs.finish(
      await observedUpstream('svc', 'http://10.0.0.1', async (r) => {
        sent = r.headers.get('traceparent')!
        return new Response(null)
      })(req),
    )
    await res.body?.cancel()
    await settle()
    expect(sent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/)
    expect(fetch).not.toHaveBeenCalled()
  })
})
