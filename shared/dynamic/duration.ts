/**
 * Durations as Traefik reads and writes them.
 *
 * Input (CRD fields, IntOrString): Go `time.ParseDuration` syntax, and a bare integer means
 * seconds (paerser `Duration.Set`). Output: Traefik's JSON form `"<nanoseconds>ns"` (paerser
 * `Duration.MarshalJSON`). Nanoseconds are plain numbers: exact up to 2^53 ns (about 104 days),
 * far beyond any timeout in practice.
 *
 * @module
 */

import type { Duration } from './types.ts'

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
}

const PART = /^(\d*)(?:\.(\d*))?([^\d.]+)/

/**
 * Parses Go's duration syntax (`1h30m`, `1.5s`, `-2ms`, `0`). Throws on anything else,
 * with a message naming the input.
 */
export function parseGoDuration(input: string): number {
  let s = input
  let sign = 1
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') throw new Error(`time: invalid duration ${JSON.stringify(input)}`)
  let total = 0
  while (s !== '') {
    const m = PART.exec(s)
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) {
      throw new Error(`time: invalid duration ${JSON.stringify(input)}`)
    }
    const unitText = m[3]!
    const unit = UNIT_NS[unitText]
    if (unit === undefined) {
      throw new Error(`time: unknown unit ${JSON.stringify(unitText)} in duration ${JSON.stringify(input)}`)
    }
    const whole = m[1] === '' ? 0 : Number(m[1])
    const frac = m[2] ? Number(`0.${m[2]}`) : 0
    total += Math.round(whole * unit + frac * unit)
    s = s.slice(m[0].length)
  }
  return sign * total
}

/**
 * Parses a CRD duration value: a number or an all-digit string is seconds, otherwise Go syntax.
 * Returns nanoseconds.
 */
export function parseDurationValue(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`invalid duration ${value}: not an integer`)
    return value * 1e9
  }
  if (/^[-+]?\d+$/.test(value)) return Number(value) * 1e9
  return parseGoDuration(value)
}

/** Traefik's JSON form of a duration in nanoseconds. */
export function formatDuration(ns: number): Duration {
  return `${ns}ns`
}

/**
 * Nanoseconds of a duration from Traefik's JSON (`"100000000ns"`), from Go's String() form
 * (`"1m30s"`), or a bare number of nanoseconds as `time.Duration` marshals.
 */
export function durationToNs(value: Duration | number): number {
  if (typeof value === 'number') return value
  return parseGoDuration(value)
}

/** Go's `time.Duration.String()` (`1m30s`, `100ms`, `0s`), for messages and docs. */
export function goDurationString(ns: number): string {
  if (ns === 0) return '0s'
  const neg = ns < 0
  let n = Math.abs(ns)
  let out: string
  if (n < 1e9) {
    const [unit, div] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6]
    out = `${trimFraction(n / (div as number))}${unit}`
  } else {
    const h = Math.floor(n / 3600e9)
    n -= h * 3600e9
    const m = Math.floor(n / 60e9)
    n -= m * 60e9
    const s = `${trimFraction(n / 1e9)}s`
    out = h > 0 ? `${h}h${m}m${s}` : m > 0 ? `${m}m${s}` : s
  }
  return neg ? `-${out}` : out
}

function trimFraction(x: number): string {
  return String(Number(x.toFixed(9)))
}
