import { describe, expect, it } from 'vitest'
import { perHost } from './per-host.ts'

describe('perHost', () => {
  it('computes once per host, keeps hosts apart, and forgets everything when full', () => {
    const calls: string[] = []
    const lower = perHost((h) => (calls.push(h), h.toLowerCase()), 2)
    expect([lower('A.example'), lower('B.example'), lower('A.example')]).toEqual(['a.example', 'b.example', 'a.example'])
    expect(calls).toEqual(['A.example', 'B.example'])
    lower('C.example')
    expect(lower('A.example')).toBe('a.example')
    expect(calls).toEqual(['A.example', 'B.example', 'C.example', 'A.example'])
  })
})
