/**
 * Traefik's Prometheus metrics for the edge, per isolate: request counters and duration
 * histograms per entry point, router and service, labelled as Traefik labels them (code, method,
 * protocol, and entrypoint / router+service / service), with Traefik's default buckets.
 * Hand-written: a Prometheus client library for the Workers runtime would bring Node's APIs for
 * four metric families; the text format is small.
 *
 * A snapshot is JSON so several isolates' registries (one per entry point worker) can be merged
 * before rendering.
 *
 * @module
 */

/** Traefik's default Prometheus buckets (seconds). */
export const DEFAULT_BUCKETS = [0.1, 0.3, 1.2, 5]

export type Labels = Array<[string, string]>

interface CounterSeries {
  labels: Labels
  value: number
}
interface HistogramSeries {
  labels: Labels
  /** Cumulative counts per bucket of DEFAULT_BUCKETS. */
  buckets: number[]
  sum: number
  count: number
}

export interface MetricsSnapshot {
  counters: Record<string, Record<string, CounterSeries>>
  histograms: Record<string, Record<string, HistogramSeries>>
}

const HELP: Record<string, string> = {
  traefik_entrypoint_requests_total: 'How many HTTP requests processed on an entrypoint, partitioned by status code, protocol, and method.',
  traefik_entrypoint_request_duration_seconds: 'How long it took to process the request on an entrypoint, partitioned by status code, protocol, and method.',
  traefik_router_requests_total: 'How many HTTP requests are processed on a router, partitioned by service, status code, protocol, and method.',
  traefik_router_request_duration_seconds: 'How long it took to process the request on a router, partitioned by service, status code, protocol, and method.',
  traefik_service_requests_total: 'How many HTTP requests processed on a service, partitioned by status code, protocol, and method.',
  traefik_service_request_duration_seconds: 'How long it took to process the request on a service, partitioned by status code, protocol, and method.',
}

export interface RequestMetric {
  code: number
  method: string
  protocol: string
  entryPoint: string
  /** Absent: no router matched (only the entry point counts it). */
  router?: string
  service?: string
  /** Whether the router's `metrics` toggle lets router and service metrics be recorded. */
  routerMetrics: boolean
  seconds: number
}

export class MetricsRegistry {
  readonly snapshot: MetricsSnapshot = { counters: {}, histograms: {} }

  record(m: RequestMetric): void {
    const base: Labels = [
      ['code', String(m.code)],
      ['method', m.method],
      ['protocol', m.protocol],
    ]
    this.#observe('traefik_entrypoint', [...base, ['entrypoint', m.entryPoint]], m.seconds)
    if (!m.routerMetrics || m.router === undefined) return
    this.#observe('traefik_router', [...base, ['router', m.router], ['service', m.service ?? '']], m.seconds)
    if (m.service !== undefined) this.#observe('traefik_service', [...base, ['service', m.service]], m.seconds)
  }

  #observe(prefix: string, labels: Labels, seconds: number): void {
    const key = labelKey(labels)
    const counters = (this.snapshot.counters[`${prefix}_requests_total`] ??= {})
    const c = (counters[key] ??= { labels, value: 0 })
    c.value++
    const histograms = (this.snapshot.histograms[`${prefix}_request_duration_seconds`] ??= {})
    const h = (histograms[key] ??= { labels, buckets: DEFAULT_BUCKETS.map(() => 0), sum: 0, count: 0 })
    for (let i = 0; i < DEFAULT_BUCKETS.length; i++) if (seconds <= DEFAULT_BUCKETS[i]!) h.buckets[i]!++
    h.sum += seconds
    h.count++
  }
}

/** Sums several isolates' snapshots series by series. */
export function mergeSnapshots(snapshots: MetricsSnapshot[]): MetricsSnapshot {
  const out: MetricsSnapshot = { counters: {}, histograms: {} }
  for (const s of snapshots) {
    for (const [family, series] of Object.entries(s.counters)) {
      const into = (out.counters[family] ??= {})
      for (const [key, c] of Object.entries(series)) {
        const t = (into[key] ??= { labels: c.labels, value: 0 })
        t.value += c.value
      }
    }
    for (const [family, series] of Object.entries(s.histograms)) {
      const into = (out.histograms[family] ??= {})
      for (const [key, h] of Object.entries(series)) {
        const t = (into[key] ??= { labels: h.labels, buckets: h.buckets.map(() => 0), sum: 0, count: 0 })
        h.buckets.forEach((b, i) => (t.buckets[i] = (t.buckets[i] ?? 0) + b))
        t.sum += h.sum
        t.count += h.count
      }
    }
  }
  return out
}

/** The Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(s: MetricsSnapshot): string {
  const lines: string[] = []
  for (const family of Object.keys(s.counters).sort()) {
    lines.push(`# HELP ${family} ${HELP[family] ?? family}`, `# TYPE ${family} counter`)
    for (const c of Object.values(s.counters[family]!)) lines.push(`${family}${labelText(c.labels)} ${c.value}`)
  }
  for (const family of Object.keys(s.histograms).sort()) {
    lines.push(`# HELP ${family} ${HELP[family] ?? family}`, `# TYPE ${family} histogram`)
    for (const h of Object.values(s.histograms[family]!)) {
      DEFAULT_BUCKETS.forEach((le, i) => lines.push(`${family}_bucket${labelText([...h.labels, ['le', String(le)]])} ${h.buckets[i] ?? 0}`))
      lines.push(`${family}_bucket${labelText([...h.labels, ['le', '+Inf']])} ${h.count}`)
      lines.push(`${family}_sum${labelText(h.labels)} ${h.sum}`, `${family}_count${labelText(h.labels)} ${h.count}`)
    }
  }
  return lines.join('\n') + '\n'
}

function labelKey(labels: Labels): string {
  return labels.map(([k, v]) => `${k}=${v}`).join('\u0000')
}

function labelText(labels: Labels): string {
  return `{${labels.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`
}
