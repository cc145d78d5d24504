/**
 * Spans in OTLP/HTTP JSON (opentelemetry-proto's JSON mapping: ids as hex, times as decimal
 * strings of nanoseconds, enums as numbers), and their export: one POST per request, through
 * ctx.waitUntil so the response never waits for the collector.
 *
 * @module
 */

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const

export interface SpanData {
  name: string
  kind: (typeof SPAN_KIND)[keyof typeof SPAN_KIND]
  traceId: string
  spanId: string
  parentSpanId?: string
  startMs: number
  endMs: number
  attributes: Record<string, string | number>
  /** true: the span failed (status ERROR). */
  error: boolean
}

export function otlpBody(serviceName: string, spans: SpanData[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', serviceName)] },
        scopeSpans: [
          {
            scope: { name: 'traefik-edge' },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              startTimeUnixNano: nanos(s.startMs),
              endTimeUnixNano: nanos(s.endMs),
              attributes: Object.entries(s.attributes).map(([k, v]) => attr(k, v)),
              status: { code: s.error ? 2 : 0 },
            })),
          },
        ],
      },
    ],
  })
}

/** Posts the spans; failures are logged, never thrown (the request is long answered). */
export async function exportSpans(endpoint: string, headers: Record<string, string>, serviceName: string, spans: SpanData[]): Promise<void> {
  try {
    const res = await fetch(endpoint, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: otlpBody(serviceName, spans) })
    await res.body?.cancel()
    if (!res.ok) console.error(`[edge] OTLP export to ${endpoint}: ${res.status}`)
  } catch (err) {
    console.error(`[edge] OTLP export to ${endpoint}: ${(err as Error).message}`)
  }
}

function attr(key: string, value: string | number) {
  return { key, value: typeof value === 'number' ? (Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value }) : { stringValue: value } }
}

function nanos(ms: number): string {
  return `${BigInt(Math.round(ms)) * 1_000_000n}`
}
