import { describe, expect, it } from 'vitest'
import type { StickyCookie } from '../../../shared/table/schema.ts'
import { Balancer, type BalancerChild } from './balancer.ts'
import { fnv64Hex, stickyValue } from './sticky.ts'

const cookie: StickyCookie = { name: 'test', secure: false, httpOnly: false, maxAge: 0, path: '/' }

function child(name: string, weight = 1, extra: Partial<BalancerChild<string>> = {}): BalancerChild<string> {
  return { name, weight, target: name, up: true, ...extra }
}

/** Sends `n` requests like a browser: each carries the cookie the previous response set. */
function browse(b: Balancer<string>, n: number, start: string | null = null): string[] {
  let jar = start
  const seen: string[] = []
  for (let i = 0; i < n; i++) {
    const p = b.pick(jar)
    seen.push(p?.target ?? '503')
    if (p?.setCookie) jar = p.setCookie.split(';')[0]!
  }
  return seen
}

describe('Balancer', () => {
  // wrr_test.go: TestSticky (weights 1 and 2: the first pick is "second", then it sticks)
  it('sticks to the first pick once the cookie is sent back', async () => {
    const b = await Balancer.create([child('first', 1), child('second', 2)], { sticky: cookie })
    expect(browse(b, 3)).toEqual(['second', 'second', 'second'])
  })

  it('sets the cookie on every non-sticky pick and not on sticky ones', async () => {
    const b = await Balancer.create([child('http://a'), child('http://b')], { sticky: cookie })
    const first = b.pick(null)!
    expect(first.setCookie).toBe(`test=${await stickyValue(first.target)}; Path=/`)
    const again = b.pick(first.setCookie!.split(';')[0]!)!
    expect(again).toEqual({ target: first.target })
  })

  it('re-picks and re-sets the cookie when the pinned server is gone or down', async () => {
    const gone = await Balancer.create([child('http://a')], { sticky: cookie })
    expect(gone.pick(`test=${await stickyValue('http://old')}`)).toEqual({
      target: 'http://a',
      setCookie: `test=${await stickyValue('http://a')}; Path=/`,
    })
    const down = await Balancer.create([child('http://a', 1, { up: false }), child('http://b')], { sticky: cookie })
    const p = down.pick(`test=${await stickyValue('http://a')}`)!
    expect(p.target).toBe('http://b')
    expect(p.setCookie).toContain(await stickyValue('http://b'))
  })

  it('keeps sticky traffic on a fenced server but picks it for nobody else', async () => {
    const b = await Balancer.create([child('http://a', 1, { fenced: true }), child('http://b')], { sticky: cookie })
    expect(b.pick(`test=${await stickyValue('http://a')}`)).toEqual({ target: 'http://a' })
    expect(browse(b, 4)).toEqual(['http://b', 'http://b', 'http://b', 'http://b'])
  })

  it('accepts a legacy FNV cookie and rewrites it to the SHA-256 value', async () => {
    const b = await Balancer.create([child('http://a'), child('http://b')], { sticky: cookie })
    expect(b.pick(`test=${fnv64Hex('http://b')}`)).toEqual({
      target: 'http://b',
      setCookie: `test=${await stickyValue('http://b')}; Path=/`,
    })
  })

  // wrr_test.go: TestBalancerNoServiceUp, TestBalancerAllServersZeroWeight
  it('has nothing to pick when every child is down, fenced or weightless', async () => {
    expect((await Balancer.create([child('a', 1, { up: false })])).pick(null)).toBeNull()
    expect((await Balancer.create([child('a', 1, { fenced: true })])).pick(null)).toBeNull()
    expect((await Balancer.create([child('a', 0), child('b', 0)])).pick(null)).toBeNull()
    expect((await Balancer.create([])).up).toBe(false)
  })

  it('is up while any child is', async () => {
    expect((await Balancer.create([child('a', 1, { up: false }), child('b')])).up).toBe(true)
    expect((await Balancer.create([child('a', 1, { up: false })])).up).toBe(false)
  })

  it('shuffles the servers before adding them when asked', async () => {
    const names = ['s0', 's1', 's2', 's3']
    const rolls = [0.9, 0.1, 0.5]
    const b = await Balancer.create(
      names.map((n) => child(n)),
      { shuffle: true, random: () => rolls.shift() ?? 0 },
    )
    const round = browse(b, 4)
    expect(round.slice().sort()).toEqual(names)
    expect(round).not.toEqual(names)
  })
})
