import { describe, expect, it } from 'vitest'
import { EdfScheduler } from './edf.ts'

function sequence(weights: Array<[string, number]>, picks: number, eligible?: (s: string) => boolean): string[] {
  const s = new EdfScheduler<string>()
  for (const [name, w] of weights) s.add(name, w)
  return Array.from({ length: picks }, () => s.next(eligible) ?? '-')
}

describe('EDF weighted round robin (Traefik wrr)', () => {
  // wrr_test.go: TestBalancerBias
  it('spreads a heavy server evenly from the start (11:3)', () => {
    expect(
      sequence(
        [
          ['A', 11],
          ['B', 3],
        ],
        14,
      ),
    ).toEqual(['A', 'A', 'A', 'B', 'A', 'A', 'A', 'A', 'B', 'A', 'A', 'A', 'B', 'A'])
  })

  // wrr_test.go: TestBalancer
  it('serves 3:1 weights three to one over four picks', () => {
    const picks = sequence(
      [
        ['first', 3],
        ['second', 1],
      ],
      4,
    )
    expect(picks.filter((p) => p === 'first')).toHaveLength(3)
    expect(picks.filter((p) => p === 'second')).toHaveLength(1)
  })

  it('gives equal weights one pick each per round, ties in heap order as Go breaks them', () => {
    // Expected sequence from an independent simulation of Go's container/heap.
    const picks = sequence(
      [
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ],
      9,
    )
    expect(picks).toEqual(['a', 'c', 'b', 'c', 'b', 'a', 'b', 'a', 'c'])
    for (let r = 0; r < 9; r += 3) expect(picks.slice(r, r + 3).sort()).toEqual(['a', 'b', 'c'])
  })

  // wrr_test.go: TestBalancerOneServerZeroWeight, TestBalancerAllServersZeroWeight
  it('ignores servers with weight 0 or less', () => {
    expect(
      sequence(
        [
          ['first', 1],
          ['second', 0],
        ],
        3,
      ),
    ).toEqual(['first', 'first', 'first'])
    const s = new EdfScheduler<string>()
    expect(s.add('x', 0)).toBe(false)
    expect(s.add('y', -1)).toBe(false)
    expect(s.next()).toBeNull()
  })

  // wrr_test.go: TestBalancerOneServerDown, TestBalancerNoServiceUp
  it('skips items that are not eligible, and gives null when none is', () => {
    expect(
      sequence(
        [
          ['first', 1],
          ['second', 1],
        ],
        3,
        (n) => n !== 'second',
      ),
    ).toEqual(['first', 'first', 'first'])
    expect(
      sequence(
        [
          ['first', 1],
          ['second', 1],
        ],
        1,
        () => false,
      ),
    ).toEqual(['-'])
  })

  // wrr_test.go: TestBalancerDownThenUp
  it('brings a server back into rotation when it is eligible again', () => {
    const s = new EdfScheduler<string>()
    s.add('first', 1)
    s.add('second', 1)
    const down = new Set(['second'])
    const ok = (n: string) => !down.has(n)
    expect([s.next(ok), s.next(ok), s.next(ok)]).toEqual(['first', 'first', 'first'])
    down.clear()
    const after = [s.next(ok), s.next(ok)]
    expect(after.sort()).toEqual(['first', 'second'])
  })

  it('keeps long-run shares proportional to weights', () => {
    const picks = sequence(
      [
        ['a', 5],
        ['b', 2],
        ['c', 1],
      ],
      800,
    )
    const count = (n: string) => picks.filter((p) => p === n).length
    expect([count('a'), count('b'), count('c')]).toEqual([500, 200, 100])
  })
})
