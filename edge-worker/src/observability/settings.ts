/**
 * What the operator turned on, from the worker's bindings: Traefik's static configuration
 * (accessLog, metrics, tracing) has no place in the table, so it lives in wrangler.toml vars or
 * the self-hosted config. Read once per env object.
 *
 * - ACCESS_LOG=true: one JSON line per request on stdout (console.log), Traefik's field names.
 * - METRICS_PROMETHEUS=true: per-isolate counters and histograms, served on the internal metrics
 *   socket (self-hosted) through the `metrics` entrypoint.
 * - METRICS_DATASET: a Workers Analytics Engine binding (writeDataPoint), one point per request.
 * - TRACING_OTLP_ENDPOINT: an OTLP/HTTP (JSON) traces URL; TRACING_SAMPLE_RATE (0..1, default 1),
 *   TRACING_SERVICE_NAME (default traefik-edge), TRACING_OTLP_HEADERS (JSON object, e.g. auth).
 *
 * @module
 */

export interface AnalyticsEngineDataset {
  writeDataPoint(point: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void
}

export interface ObservabilityEnv {
  ACCESS_LOG?: string
  METRICS_PROMETHEUS?: string
  METRICS_DATASET?: AnalyticsEngineDataset
  TRACING_OTLP_ENDPOINT?: string
  TRACING_SAMPLE_RATE?: string
  TRACING_SERVICE_NAME?: string
  TRACING_OTLP_HEADERS?: string
}

export interface ObservabilitySettings {
  accessLog: boolean
  prometheus: boolean
  dataset: AnalyticsEngineDataset | null
  tracing: { endpoint: string; sampleRate: number; serviceName: string; headers: Record<string, string> } | null
  /** Whether anything at all is on: when not, requests are not observed. */
  any: boolean
}

const cache = new WeakMap<object, ObservabilitySettings>()

export function observabilitySettings(env: ObservabilityEnv): ObservabilitySettings {
  let s = cache.get(env)
  if (!s) {
    s = read(env)
    cache.set(env, s)
  }
  return s
}

function read(env: ObservabilityEnv): ObservabilitySettings {
  const on = (v: string | undefined) => v !== undefined && /^(true|1|json)$/i.test(v.trim())
  const dataset = env.METRICS_DATASET && typeof env.METRICS_DATASET.writeDataPoint === 'function' ? env.METRICS_DATASET : null
  let tracing: ObservabilitySettings['tracing'] = null
  if (env.TRACING_OTLP_ENDPOINT) {
    const rate = env.TRACING_SAMPLE_RATE === undefined ? 1 : Number(env.TRACING_SAMPLE_RATE)
    let headers: Record<string, string> = {}
    try {
      headers = env.TRACING_OTLP_HEADERS ? (JSON.parse(env.TRACING_OTLP_HEADERS) as Record<string, string>) : {}
    } catch {
      console.error('[edge] TRACING_OTLP_HEADERS is not a JSON object: ignored')
    }
    tracing = {
      endpoint: env.TRACING_OTLP_ENDPOINT,
      sampleRate: Number.isFinite(rate) ? Math.min(1, Math.max(0, rate)) : 1,
      serviceName: env.TRACING_SERVICE_NAME || 'traefik-edge',
      headers,
    }
  }
  const accessLog = on(env.ACCESS_LOG)
  const prometheus = on(env.METRICS_PROMETHEUS)
  return { accessLog, prometheus, dataset, tracing, any: accessLog || prometheus || dataset !== null || tracing !== null }
}
