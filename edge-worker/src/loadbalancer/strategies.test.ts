import { describe, expect, it } from 'vitest'
import { Balancer } from './balancer.ts'
import { hrw, leastTime, newLoad, p2c, recordResponse, type Candidate } from './strategies.ts'

const servers = (n: number, weight = () => 1): Candidate[] =>
  Array.from({ length: n }, (_, i) => ({ name: `http://10.0.0.${i + 1}:80`, weight: weight(), load: newLoad() }))

// Deterministic pseudo-random numbers, so the draws are the same every run.
function seeded(seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff
    return s / 0x80000000
  }
}

describe('p2c', () => {
  it('draws two different servers and keeps the one with fewer requests in flight', () => {
    const [a, b] = servers(2)
    a!.load.inFlight = 3
    // Whichever order the two are drawn in, the idle one wins.
    for (const r of [seeded(1), seeded(2), seeded(3)]) expect(p2c([a!, b!], r)).toBe(b)
    b!.load.inFlight = 5
    expect(p2c([a!, b!], seeded(4))).toBe(a)
  })

  it('never sends to the busiest of three when the other two are idle', () => {
    const list = servers(3)
    list[0]!.load.inFlight = 10
    const random = seeded(7)
    for (let i = 0; i < 200; i++) expect(p2c(list, random)).not.toBe(list[0])
  })

  it('has nothing to pick from no server, and the one server from one', () => {
    expect(p2c([], Math.random)).toBeNull()
    const one = servers(1)
    expect(p2c(one, Math.random)).toBe(one[0])
  })
})

describe('hrw', () => {
  it('gives a client the same server every time', () => {
    const list = servers(5)
    const first = hrw(list, '203.0.113.7')
    for (let i = 0; i < 20; i++) expect(hrw(list, '203.0.113.7')).toBe(first)
  })

  it('moves only the clients of a server that leaves', () => {
    const list = servers(5)
    const ips = Array.from({ length: 500 }, (_, i) => `198.51.${i >> 8}.${i & 255}`)
    const before = new Map(ips.map((ip) => [ip, hrw(list, ip)!.name]))
    const gone = list[2]!.name
    const rest = list.filter((s) => s.name !== gone)
    for (const ip of ips) {
      const now = hrw(rest, ip)!.name
      if (before.get(ip) !== gone) expect(now).toBe(before.get(ip))
    }
  })

  it('spreads clients in proportion to weights', () => {
    const list = [
      { name: 'a', weight: 3, load: newLoad() },
      { name: 'b', weight: 1, load: newLoad() },
    ]
    const counts = { a: 0, b: 0 }
    for (let i = 0; i < 4000; i++) counts[hrw(list, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`)!.name as 'a' | 'b']++
    // Expected 3:1 (3000 / 1000); a wide margin keeps this a property, not a coin toss.
    expect(counts.a / counts.b).toBeGreaterThan(2.4)
    expect(counts.a / counts.b).toBeLessThan(3.8)
  })
})

describe('leasttime', () => {
  it('tries unmeasured servers in turn, then prefers the faster one', () => {
    const [fast, slow] = servers(2)
    expect(new Set([leastTime([fast!, slow!], 0), leastTime([fast!, slow!], 1)])).toEqual(new Set([fast, slow]))
    recordResponse(fast!.load, 5)
    recordResponse(slow!.load, 50)
    for (let turn = 0; turn < 4; turn++) expect(leastTime([fast!, slow!], turn)).toBe(fast)
  })

  it('weighs response time by requests in flight and by weight', () => {
    const a = { name: 'a', weight: 1, load: newLoad() }
    const b = { name: 'b', weight: 1, load: newLoad() }
    recordResponse(a.load, 10)
    recordResponse(b.load, 30)
    a.load.inFlight = 3 // 10 x 4 = 40 > 30 x 1
    expect(leastTime([a, b], 0)).toBe(b)
    b.weight = 0.5 // 30 / 0.5 = 60 > 40
    expect(leastTime([a, b], 0)).toBe(a)
  })

  it('averages response times, recent ones counting more', () => {
    const load = newLoad()
    recordResponse(load, 100)
    expect(load.avgMs).toBe(100)
    for (let i = 0; i < 30; i++) recordResponse(load, 10)
    expect(load.avgMs).toBeLessThan(11)
  })
})

describe('balancer with a strategy', () => {
  const child = (name: string, up = true) => ({ name, weight: 1, target: name, up })

  it('hrw: the same client IP keeps its server; servers that are down are not picked', async () => {
    const b = await Balancer.create([child('a'), child('b'), child('c')], { strategy: 'hrw' })
    const first = b.pick(null, '192.0.2.1')!.target
    for (let i = 0; i < 10; i++) expect(b.pick(null, '192.0.2.1')!.target).toBe(first)
    const down = await Balancer.create([child('a', false), child('b', false), child('c')], { strategy: 'hrw' })
    expect(down.pick(null, '192.0.2.1')!.target).toBe('c')
    expect((await Balancer.create([child('a', false)], { strategy: 'hrw' })).pick(null, '192.0.2.1')).toBeNull()
  })

  it('p2c and leasttime hand the caller the server load to count; wrr and hrw do not', async () => {
    for (const strategy of ['p2c', 'leasttime'] as const) {
      const b = await Balancer.create([child('a'), child('b')], { strategy, random: seeded(3) })
      expect(b.pick(null)!.load).toMatchObject({ inFlight: 0 })
    }
    expect((await Balancer.create([child('a')], { strategy: 'hrw' })).pick(null, '1.2.3.4')!.load).toBeUndefined()
    expect((await Balancer.create([child('a')])).pick(null)!.load).toBeUndefined()
  })
})
