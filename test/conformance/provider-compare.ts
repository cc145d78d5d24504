/**
 * How Traefik's kubernetes_test.go expected configurations compare (pkg/config/dynamic's JSON tags): Go's
 * `omitempty` (a missing key, null, {}, [], 0, "" and false are the same), except
 * `passHostHeader` and `weight` (pointers in Go: a zero is written) and a router's `tls: {}`
 * (TLS enabled with no options); durations compared as nanoseconds.
 */

import { durationToNs } from '../../shared/dynamic/duration.ts'

const DURATION_KEYS = new Set([
  'flushInterval',
  'interval',
  'timeout',
  'unhealthyInterval',
  'failureWindow',
  'period',
  'readTimeout',
  'writeTimeout',
  'dialTimeout',
  'idleConnTimeout',
  'pingTimeout',
  'responseHeaderTimeout',
  'readIdleTimeout',
  'checkPeriod',
  'fallbackDuration',
  'recoveryDuration',
  'initialInterval',
])

const KEEP_ZERO = new Set(['passHostHeader', 'weight'])

export interface CompareOptions {
  /** Servers lists compared as sets (Traefik's ElementsMatch). */
  serversOrderInsensitive?: boolean
}

/** A canonical form of a configuration: equal forms mean equal under the digest's rules. */
export function canonical(config: unknown, options: CompareOptions = {}): unknown {
  return canon(config, [], options) ?? {}
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === 0 || v === '' || v === false) return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.keys(v as object).length === 0
  return false
}

function canon(value: unknown, path: string[], options: CompareOptions): unknown {
  const key = path[path.length - 1] ?? ''
  if (typeof value === 'string' && DURATION_KEYS.has(key)) {
    try {
      return durationToNs(value)
    } catch {
      return value
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => canon(v, [...path, String(i)], options) ?? {})
    if (key === 'servers' && options.serversOrderInsensitive) {
      items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    }
    return items
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value as object).sort()) {
      const child = canon((value as Record<string, unknown>)[k], [...path, k], options)
      const routerTLS = k === 'tls' && path.length === 3 && path[1] === 'routers'
      if (routerTLS && child !== undefined && child !== null) {
        out[k] = child
      } else if (KEEP_ZERO.has(k) && child !== undefined && child !== null) {
        out[k] = child
      } else if (!isEmpty(child)) {
        out[k] = child
      }
    }
    return out
  }
  return value
}
