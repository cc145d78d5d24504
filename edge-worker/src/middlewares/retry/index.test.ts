/**
 * retry through the real pipeline: unsent requests are tried again up to `attempts` (bodies
 * replayed), an upstream's answer ends it unless its status is in `status` (idempotent methods
 * only unless retryNonIdempotentMethod), the last attempt's answer goes through, large bodies
 * are sent once, and what Traefik refuses.
 */
import { describe, expect, it } from 'vitest'
import { markNotSent } from '../../proxy/not-sent.ts'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'

const edge = { target: 'workerd' as const, env: {}, log: () => {} }

function setup(config: Record<string, unknown>, answers: Array<number | 'unsent'>) {
  const bodies: string[] = []
  const handler = chain(
    [{ name: 'r', type: 'retry', config }],
    async (req) => {
      bodies.push(req.body ? await new Response(req.body).text() : '')
      req.headers.set('x-mutated', 'by the proxy')
      const a = answers[Math.min(bodies.length - 1, answers.length - 1)]!
      return a === 'unsent' ? markNotSent(new Response('Bad Gateway', { status: 502 })) : new Response(`answer ${bodies.length}`, { status: a })
    },
    edge,
  )
  const send = (method = 'GET', body?: string) =>
    handler({
      method,
      host: 'app.example',
      path: '/',
      query: '',
      headers: new Headers(),
      clientIp: '10.0.0.1',
      tls: false,
      entryPoint: 'web',
      body: body === undefined ? null : new Response(body).body,
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    } satisfies EdgeRequest)
  return { send, bodies }
}

describe('retry', () => {
  it('tries an unsent request again, with its body, until an upstream answers', async () => {
    const { send, bodies } = setup({ attempts: 4 }, ['unsent', 'unsent', 500])
    const res = await send('POST', 'payload')
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('answer 3')
    expect(bodies).toEqual(['payload', 'payload', 'payload'])
  })

  it('stops at `attempts`, passing the last answer on', async () => {
    const { send, bodies } = setup({ attempts: 3 }, ['unsent'])
    expect((await send()).status).toBe(502)
    expect(bodies.length).toBe(3)
    const one = setup({ attempts: 1 }, ['unsent'])
    expect((await one.send()).status).toBe(502)
    expect(one.bodies.length).toBe(1)
  })

  it('retries statuses in `status` for idempotent methods only, unless told otherwise', async () => {
    const get = setup({ attempts: 3, status: ['500-502', '504'] }, [503, 200])
    expect((await get.send()).status).toBe(503) // not in the ranges
    const ranged = setup({ attempts: 3, status: ['500-502', '504'] }, [501, 504, 200])
    expect((await ranged.send()).status).toBe(200)
    expect(ranged.bodies.length).toBe(3)
    const post = setup({ attempts: 3, status: ['500'] }, [500, 200])
    expect((await post.send('POST', 'x')).status).toBe(500)
    const postAllowed = setup({ attempts: 3, status: ['500'], retryNonIdempotentMethod: true }, [500, 200])
    expect((await postAllowed.send('POST', 'x')).status).toBe(200)
    expect(postAllowed.bodies).toEqual(['x', 'x'])
  })

  it('does not retry network errors with disableRetryOnNetworkError', async () => {
    const { send, bodies } = setup({ attempts: 3, status: ['500'], disableRetryOnNetworkError: true }, ['unsent', 200])
    expect((await send()).status).toBe(502)
    expect(bodies.length).toBe(1)
  })

  it('sends a body over maxRequestBodyBytes once, whole', async () => {
    const { send, bodies } = setup({ attempts: 3, maxRequestBodyBytes: 4 }, ['unsent', 200])
    expect((await send('PUT', 'too long')).status).toBe(502)
    expect(bodies).toEqual(['too long'])
  })

  it('waits between attempts with initialInterval', async () => {
    const { send, bodies } = setup({ attempts: 2, initialInterval: '20000000ns' }, ['unsent', 200])
    const start = performance.now()
    expect((await send()).status).toBe(200)
    expect(performance.now() - start).toBeGreaterThanOrEqual(9) // 20 ms ±50%
    expect(bodies.length).toBe(2)
  })

  it('refuses what Traefik refuses (500)', async () => {
    expect((await setup({}, [200]).send()).status).toBe(500)
    expect((await setup({ attempts: 2, disableRetryOnNetworkError: true }, [200]).send()).status).toBe(500)
    expect((await setup({ attempts: 2, status: ['5xx'] }, [200]).send()).status).toBe(500)
  })
})
