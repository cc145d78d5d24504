/**
 * inFlightReq through the real pipeline: `amount` concurrent requests per source (the Host by
 * default), 429 for one more, the slot held until the response body is done.
 */
import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'

const edge = { target: 'workerd' as const, env: {}, log: () => {} }

function setup(config: Record<string, unknown>) {
  const pending: Array<(body: string) => void> = []
  const handler = chain(
    [{ name: 'ifr', type: 'inFlightReq', config }],
    () => new Promise<Response>((resolve) => pending.push((body) => resolve(new Response(body)))),
    edge,
  )
  const send = (host = 'app.example', clientIp = '10.0.0.1', headers: Record<string, string> = {}) =>
    handler({
      method: 'GET',
      host,
      path: '/',
      query: '',
      headers: new Headers(headers),
      body: null,
      clientIp,
      tls: false,
      entryPoint: 'web',
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    } satisfies EdgeRequest)
  return { send, pending }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('inFlightReq', () => {
  it('answers 429 past `amount` requests in flight for the same host, and frees the slot once the body is read', async () => {
    const { send, pending } = setup({ amount: 2 })
    const a = send()
    const b = send()
    await tick()
    const refused = await send()
    expect(refused.status).toBe(429)
    expect(await refused.text()).toBe('max connections reached: 2')
    const other = send('other.example')
    await tick()
    expect(pending.length).toBe(3)
    pending[0]!('a')
    const resA = await a
    // Headers are back but the body is not read yet: still in flight.
    expect((await send()).status).toBe(429)
    expect(await resA.text()).toBe('a')
    const c = send()
    await tick()
    expect(pending.length).toBe(4)
    pending[1]!('b')
    pending[2]!('o')
    pending[3]!('c')
    expect(await (await b).text()).toBe('b')
    expect(await (await other).text()).toBe('o')
    expect(await (await c).text()).toBe('c')
  })

  it('groups by client address with an ipStrategy; amount 0 refuses everything, as oxy', async () => {
    const { send, pending } = setup({ amount: 1, sourceCriterion: { ipStrategy: {} } })
    const first = send('a.example', '10.0.0.1')
    await tick()
    expect((await send('b.example', '10.0.0.1')).status).toBe(429)
    const second = send('a.example', '10.0.0.2')
    await tick()
    pending.forEach((p) => p('x'))
    expect((await first).status).toBe(200)
    expect((await second).status).toBe(200)
    const none = await setup({}).send()
    expect(none.status).toBe(429)
    expect(await none.text()).toBe('max connections reached: 0')
    expect((await setup({ amount: 1.5 }).send()).status).toBe(500)
  })
})
