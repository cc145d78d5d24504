/**
 * W3C Trace Context (traceparent), as Traefik's OpenTelemetry propagation reads and writes it:
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; all-zero ids are invalid.
 *
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js'

export interface TraceParent {
  traceId: string
  spanId: string
  sampled: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/

export function parseTraceParent(value: string | null): TraceParent | null {
  if (!value) return null
  const m = TRACEPARENT.exec(value.trim())
  if (!m) return null
  const [, version, traceId, spanId, flags] = m
  // Version ff is forbidden; a future version may carry more fields (kept by the regexp's tail).
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return null
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return null
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 }
}

export function formatTraceParent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`
}

export function randomId(bytes: 8 | 16): string {
  const out = bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)))
  // An all-zero id is invalid: astronomically unlikely, but cheap to rule out.
  return /^0+$/.test(out) ? randomId(bytes) : out
}
