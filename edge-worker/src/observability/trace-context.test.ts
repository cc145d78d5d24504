// W3C Trace Context traceparent: what is accepted, what is refused, and what is written.
import { describe, expect, it } from 'vitest'
import { formatTraceParent, parseTraceParent, randomId } from './trace-context.ts'

describe('traceparent', () => {
  it('parses a valid header, sampled or not', () => {
    expect(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      sampled: true,
    })
    expect(parseTraceParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')!.sampled).toBe(false)
  })
  it.each([
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['upper case', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx'],
    ['short id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
  ])('refuses %s', (_, value) => {
    expect(parseTraceParent(value)).toBeNull()
  })
  it('accepts a future version with more fields', () => {
    expect(parseTraceParent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
  })
  it('writes version 00 with the sampled flag; random ids are hex of the right length', () => {
    expect(formatTraceParent('a'.repeat(32), 'b'.repeat(16), false)).toBe(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`)
    expect(randomId(16)).toMatch(/^[0-9a-f]{32}$/)
    expect(randomId(8)).toMatch(/^[0-9a-f]{16}$/)
  })
})
