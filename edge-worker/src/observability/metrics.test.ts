// Traefik's Prometheus families as text: labels, histogram buckets, merging isolates' registries.
import { describe, expect, it } from 'vitest'
import { MetricsRegistry, mergeSnapshots, renderPrometheus } from './metrics.ts'

const request = { code: 200, method: 'GET', protocol: 'http', entryPoint: 'web', router: 'r', service: 's', routerMetrics: true, seconds: 0.2 }

describe('metrics', () => {
  it("counts per entry point, router and service, with Traefik's labels and default buckets", () => {
    const r = new MetricsRegistry()
    r.record(request)
    r.record({ ...request, seconds: 2 })
    const text = renderPrometheus(r.snapshot)
    expect(text).toContain('# TYPE traefik_router_requests_total counter\n')
    expect(text).toContain('traefik_router_requests_total{code="200",method="GET",protocol="http",router="r",service="s"} 2\n')
    expect(text).toContain('traefik_service_requests_total{code="200",method="GET",protocol="http",service="s"} 2\n')
    expect(text).toContain('traefik_entrypoint_requests_total{code="200",method="GET",protocol="http",entrypoint="web"} 2\n')
    const h = 'traefik_service_request_duration_seconds'
    const labels = 'code="200",method="GET",protocol="http",service="s"'
    expect(text).toContain(`${h}_bucket{${labels},le="0.1"} 0\n`)
    expect(text).toContain(`${h}_bucket{${labels},le="0.3"} 1\n`)
    expect(text).toContain(`${h}_bucket{${labels},le="5"} 2\n`)
    expect(text).toContain(`${h}_bucket{${labels},le="+Inf"} 2\n`)
    expect(text).toContain(`${h}_sum{${labels}} 2.2\n`)
    expect(text).toContain(`${h}_count{${labels}} 2\n`)
  })
  it('a router with metrics off, or no router, counts on the entry point only', () => {
    const r = new MetricsRegistry()
    r.record({ ...request, routerMetrics: false })
    r.record({ code: 404, method: 'GET', protocol: 'http', entryPoint: 'web', routerMetrics: true, seconds: 0 })
    const text = renderPrometheus(r.snapshot)
    expect(text).not.toContain('traefik_router_')
    expect(text).toContain('entrypoint="web"} 1\n')
    expect(text).toContain('traefik_entrypoint_requests_total{code="404"')
  })
  it('merging sums the same series from several isolates', () => {
    const a = new MetricsRegistry()
    const b = new MetricsRegistry()
    a.record(request)
    b.record(request)
    b.record({ ...request, entryPoint: 'websecure' })
    const text = renderPrometheus(mergeSnapshots([a.snapshot, b.snapshot]))
    expect(text).toContain('traefik_router_requests_total{code="200",method="GET",protocol="http",router="r",service="s"} 3\n')
    expect(text).toContain('entrypoint="web"} 2\n')
    expect(text).toContain('entrypoint="websecure"} 1\n')
  })
  it('escapes label values', () => {
    const r = new MetricsRegistry()
    r.record({ ...request, router: 'a"b\\c' })
    expect(renderPrometheus(r.snapshot)).toContain('router="a\\"b\\\\c"')
  })
})
