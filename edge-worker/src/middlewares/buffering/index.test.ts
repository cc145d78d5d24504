/**
 * buffering through the real pipeline: 413 for request bodies over maxRequestBodyBytes (declared
 * or streamed), the upstream gets the whole body with its Content-Length, 500 for responses over
 * maxResponseBodyBytes, retryExpression replays.
 */
import { describe, expect, it } from 'vitest'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'

const edge = { target: 'workerd' as const, env: {}, log: () => {} }

function setup(config: Record<string, unknown>, answers: Array<{ status: number; body: string }> = [{ status: 200, body: 'ok' }]) {
  const seen: Array<{ body: string; length: string | null }> = []
  const handler = chain(
    [{ name: 'b', type: 'buffering', config }],
    async (req) => {
      seen.push({ body: req.body ? await new Response(req.body).text() : '', length: req.headers.get('content-length') })
      const a = answers[Math.min(seen.length - 1, answers.length - 1)]!
      return new Response(a.body, { status: a.status })
    },
    edge,
  )
  const send = (body?: string, headers: Record<string, string> = {}) =>
    handler({
      method: 'POST',
      host: 'app.example',
      path: '/',
      query: '',
      headers: new Headers(headers),
      clientIp: '10.0.0.1',
      tls: false,
      entryPoint: 'web',
      body: body === undefined ? null : new Response(body).body,
      skipXff: false,
      ctx: { waitUntil() {} },
      signal: undefined,
    } satisfies EdgeRequest)
  return { send, seen }
}

describe('buffering', () => {
  it('answers 413 for a request body over maxRequestBodyBytes, declared or not', async () => {
    const { send, seen } = setup({ maxRequestBodyBytes: 5 })
    const declared = await send('123456', { 'content-length': '6' })
    expect(declared.status).toBe(413)
    expect(await declared.text()).toBe('Request Entity Too Large')
    expect((await send('123456')).status).toBe(413)
    expect(seen).toEqual([])
    const ok = await send('12345')
    expect(ok.status).toBe(200)
    expect(seen).toEqual([{ body: '12345', length: '5' }])
  })

  it('answers 500 for a response over maxResponseBodyBytes, and sends smaller ones whole', async () => {
    const big = setup({ maxResponseBodyBytes: 3 }, [{ status: 200, body: 'long body' }])
    const res = await big.send()
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('Internal Server Error')
    const small = await setup({ maxResponseBodyBytes: 3 }, [{ status: 201, body: 'abc' }]).send()
    expect(small.status).toBe(201)
    expect(small.headers.get('content-length')).toBe('3')
    expect(await small.text()).toBe('abc')
  })

  it('replays the request while retryExpression holds', async () => {
    const { send, seen } = setup({ retryExpression: 'IsNetworkError() && Attempts() <= 2' }, [
      { status: 502, body: 'x' },
      { status: 504, body: 'y' },
      { status: 502, body: 'z' },
      { status: 200, body: 'never' },
    ])
    const res = await send('data')
    expect(res.status).toBe(502)
    expect(await res.text()).toBe('z')
    expect(seen.map((s) => s.body)).toEqual(['data', 'data', 'data'])
  })

  it('refuses a malformed retryExpression and negative sizes (500)', async () => {
    expect((await setup({ retryExpression: 'Attempts(' }).send()).status).toBe(500)
    expect((await setup({ maxRequestBodyBytes: -1 }).send()).status).toBe(500)
  })
})
