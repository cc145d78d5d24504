/**
 * circuitBreaker: the circuit trips when the expression holds at a check, answers the fallback
 * for fallbackDuration, lets a rising share through while recovering, then closes; on a clock
 * the test moves, so the states are exact.
 */
import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { circuitBreaker } from './index.ts'

const request = (): EdgeRequest => ({
  method: 'GET',
  host: 'app.example',
  path: '/',
  query: '',
  headers: new Headers(),
  body: null,
  clientIp: '10.0.0.1',
  tls: false,
  entryPoint: 'web',
  skipXff: false,
  ctx: { waitUntil() {} },
  signal: undefined,
})

function setup(config: Record<string, unknown>) {
  let now = 1_000_000
  let status = 200
  let reached = 0
  const handler = circuitBreaker(config as never, undefined, () => now)(async () => (reached++, new Response('up', { status })))
  return {
    send: () => handler(request()),
    advance: (ms: number) => (now += ms),
    setStatus: (s: number) => (status = s),
    reached: () => reached,
  }
}

describe('circuitBreaker', () => {
  it('trips on the expression, falls back, recovers gradually, closes', async () => {
    const cb = setup({ expression: 'ResponseCodeRatio(500, 600, 0, 600) > 0.5', fallbackDuration: '10000000000ns', recoveryDuration: '10000000000ns' })
    expect((await cb.send()).status).toBe(200) // first check: 0 errors
    cb.setStatus(500)
    cb.advance(50)
    expect((await cb.send()).status).toBe(500) // within checkPeriod: no check yet
    cb.advance(100)
    expect((await cb.send()).status).toBe(500) // 2/3 errors at the check: trips
    const reached = cb.reached()
    const fallback = await cb.send()
    expect(fallback.status).toBe(503)
    expect(await fallback.text()).toBe('Service Unavailable')
    cb.advance(9_999)
    expect((await cb.send()).status).toBe(503)
    expect(cb.reached()).toBe(reached)
    cb.setStatus(200)
    cb.advance(2) // fallback over: recovering: the target share starts at one half
    const early = await Promise.all(Array.from({ length: 10 }, () => cb.send()))
    expect(early.filter((r) => r.status === 200).length).toBe(4) // oxy: allowed only while allowed/(total) stays under the target
    cb.advance(9_000) // ~95% by now
    const late = await Promise.all(Array.from({ length: 20 }, () => cb.send()))
    expect(late.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(15)
    cb.advance(1_001)
    const closed = await Promise.all(Array.from({ length: 10 }, () => cb.send()))
    expect(closed.every((r) => r.status === 200)).toBe(true)
  })

  it('trips on network errors (502s from the proxy) and answers responseCode', async () => {
    const cb = setup({ expression: 'NetworkErrorRatio() > 0.4', responseCode: 418 })
    cb.setStatus(502)
    await cb.send()
    const res = await cb.send()
    expect(res.status).toBe(418)
    expect(await res.text()).toBe("I'm a teapot")
  })

  it('refuses a bad expression (500 through the pipeline)', async () => {
    const handler = chain([{ name: 'cb', type: 'circuitBreaker', config: { expression: 'Latency() > 1' } }], async () => new Response('x'), {
      target: 'workerd',
      env: {},
      log: () => {},
    })
    expect((await handler(request())).status).toBe(500)
  })
})
