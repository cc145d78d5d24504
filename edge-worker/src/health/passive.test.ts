// Traefik's passive health check semantics on a balancer child, with a controlled clock.
import { describe, expect, it } from 'vitest'
import { Balancer } from '../loadbalancer/balancer.ts'
import type { EdgeRequest, Handler } from '../request.ts'
import { PassiveHealth } from './passive.ts'

const req = {} as EdgeRequest

function server(name: string, statuses: number[]): { name: string; weight: number; up: boolean; target: Handler } {
  return { name, weight: 1, up: true, target: async () => new Response(name, { status: statuses.shift() ?? 200 }) }
}

describe('PassiveHealth', () => {
  it('maxFailedAttempts failures (>= 500) within the window take the server out for downForMs', async () => {
    let now = 1000
    const p = new PassiveHealth({ failureWindowMs: 10_000, maxFailedAttempts: 2, downForMs: 10_000 }, () => now)
    const c = p.watch(server('a', [502, 500]))
    await c.target(req)
    expect(c.up).toBe(true)
    now += 100
    await c.target(req)
    expect(c.up).toBe(false)
    now += 9_999
    expect(c.up).toBe(false)
    now += 2
    expect(c.up).toBe(true)
  })
  it('a success clears the failures; failures older than the window do not count', async () => {
    let now = 0
    const p = new PassiveHealth({ failureWindowMs: 1000, maxFailedAttempts: 2, downForMs: 5000 }, () => now)
    const c = p.watch(server('a', [500, 200, 500, 503, 503]))
    await c.target(req) // failure 1
    await c.target(req) // success: cleared
    await c.target(req) // failure 1
    expect(c.up).toBe(true)
    now += 1500
    await c.target(req) // the first is outside the window: still 1
    expect(c.up).toBe(true)
    await c.target(req)
    expect(c.up).toBe(false)
  })
  it('4xx is not a failure; a server already configured down stays down', async () => {
    const p = new PassiveHealth({ failureWindowMs: 1000, maxFailedAttempts: 1, downForMs: 1000 })
    const c = p.watch(server('a', [404, 499]))
    await c.target(req)
    await c.target(req)
    expect(c.up).toBe(true)
    expect(p.watch({ ...server('b', []), up: false }).up).toBe(false)
  })
  it('the balancer skips a server taken out, and takes it back after downForMs', async () => {
    let now = 0
    const p = new PassiveHealth({ failureWindowMs: 1000, maxFailedAttempts: 1, downForMs: 1000 }, () => now)
    const b = await Balancer.create([p.watch(server('a', [502])), p.watch(server('b', []))])
    const names = async (n: number) => {
      const out: string[] = []
      for (let i = 0; i < n; i++) out.push(await (await b.pick(null)!.target(req)).text())
      return out
    }
    const first = await names(2)
    expect(first.sort()).toEqual(['a', 'b'])
    expect(await names(4)).toEqual(['b', 'b', 'b', 'b'])
    now = 1001
    expect((await names(2)).sort()).toEqual(['a', 'b'])
  })
})
