import { describe, expect, it } from 'vitest'
import { durationToNs, formatDuration, goDurationString, parseDurationValue, parseGoDuration } from './duration.ts'

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['100ms', 100e6],
    ['1m30s', 90e9],
    ['1h', 3600e9],
    ['1.5s', 1.5e9],
    ['-2ms', -2e6],
    ['+3us', 3e3],
    ['4µs', 4e3],
    ['5ns', 5],
    ['.5s', 0.5e9],
  ])('%s -> %d ns', (input, ns) => {
    expect(parseGoDuration(input)).toBe(ns)
  })

  it.each(['', '10', 'abc', '1x', '1.s.', '-', 's'])('rejects %j', (input) => {
    expect(() => parseGoDuration(input)).toThrow(/duration/)
  })
})

describe('parseDurationValue (CRD IntOrString)', () => {
  it('reads bare integers as seconds', () => {
    expect(parseDurationValue(42)).toBe(42e9)
    expect(parseDurationValue('42')).toBe(42e9)
  })
  it('reads Go syntax', () => {
    expect(parseDurationValue('1m')).toBe(60e9)
  })
  it('rejects fractions given as numbers', () => {
    expect(() => parseDurationValue(1.5)).toThrow(/not an integer/)
  })
})

describe('formatting', () => {
  it('writes Traefik JSON nanoseconds', () => {
    expect(formatDuration(100e6)).toBe('100000000ns')
    expect(durationToNs(formatDuration(90e9))).toBe(90e9)
  })
  it.each([
    [0, '0s'],
    [100e6, '100ms'],
    [90e9, '1m30s'],
    [3600e9, '1h0m0s'],
    [1.5e9, '1.5s'],
    [-5, '-5ns'],
  ])('goDurationString(%d) = %s', (ns, s) => {
    expect(goDurationString(ns)).toBe(s)
  })
})
