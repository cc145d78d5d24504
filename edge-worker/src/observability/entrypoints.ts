/**
 * The worker's internal entrypoints for metrics (named exports of the worker module, reachable
 * only through the self-hosted config, never from a user's entry point, as Traefik serves metrics
 * on its own entry point):
 *
 * - `metrics`: this isolate's registry as JSON (each entry point's worker is its own isolate);
 * - `prometheus`: behind the internal metrics socket, fetches every `METRICS_SOURCE_*` service
 *   binding (the entry points' `metrics`), sums them, and answers `GET /metrics` in Prometheus text.
 *
 * @module
 */
import { mergeSnapshots, renderPrometheus, type MetricsSnapshot } from './metrics.ts'
import { registry } from './observation.ts'

interface Fetcher {
  fetch(input: string): Promise<Response>
}

export const metricsEntrypoint = {
  fetch(): Response {
    return Response.json(registry.snapshot)
  },
}

export const prometheusEntrypoint = {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    if (new URL(request.url).pathname !== '/metrics') return new Response('404 page not found\n', { status: 404 })
    const sources = Object.keys(env)
      .filter((k) => k.startsWith('METRICS_SOURCE_'))
      .sort()
    const snapshots = await Promise.all(sources.map(async (k) => (await (env[k] as Fetcher).fetch('http://metrics/')).json() as Promise<MetricsSnapshot>))
    return new Response(renderPrometheus(mergeSnapshots(snapshots)), { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } })
  },
}
