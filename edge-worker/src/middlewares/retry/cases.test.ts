/**
 * retry against Traefik's own tests (./cases.json) through the real pipeline: each attempt
 * meets what the case lists (an upstream that could not be reached, or a status), the body must
 * arrive whole on every attempt, and only the last attempt's response reaches the client.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { caseRequest } from '../../../../test/support/middleware-cases.ts'
import { markNotSent } from '../../proxy/not-sent.ts'
import { chain } from '../index.ts'
import { retry } from './index.ts'

interface HandlerCase {
  source: string
  config: Record<string, unknown>
  attempts: Array<number | string>
  attemptHeader?: string
  delayMs?: number
  request?: { method?: string; body?: string }
  expect: { status: number; retries: number; headers?: Record<string, string | null> }
}
interface ValidationCase {
  source: string
  config: Record<string, unknown>
  error?: string
}

const data = JSON.parse(readFileSync(join(import.meta.dirname, 'cases.json'), 'utf8')) as { handler: HandlerCase[]; validation: ValidationCase[] }
const name = (source: string) => source.replace(/^.*:/, '')

describe('retry: Traefik handler tests', () => {
  it('has every case', () => expect(data.handler.length).toBe(25))
  for (const c of data.handler) {
    it(name(c.source), async () => {
      let calls = 0
      const bodies: string[] = []
      const handler = chain(
        [{ name: 'retry', type: 'retry', config: c.config }],
        async (req) => {
          const n = calls++
          // Timers may fire a hair early against Date.now(): a margin keeps "took delayMs" true.
          if (c.delayMs) await new Promise((r) => setTimeout(r, c.delayMs! + 2))
          bodies.push(req.body ? await new Response(req.body).text() : '')
          const what = c.attempts[Math.min(n, c.attempts.length - 1)]!
          const headers = { [(c.attemptHeader ?? 'X-Attempt-{n}').replace('{n}', String(n))]: c.attemptHeader ? 'bar' : 'value' }
          if (typeof what === 'string') return markNotSent(new Response('', { status: Number(what.split(':')[1] ?? 502), headers }))
          return new Response(null, { status: what, headers })
        },
        { target: 'workerd', env: {}, log: () => {} },
      )
      const request = caseRequest({ method: c.request?.method ?? 'GET', url: 'http://localhost:3000/ok', headers: {} })
      if (c.request?.body !== undefined) request.body = new Response(c.request.body).body
      const res = await handler(request)
      expect(res.status).toBe(c.expect.status)
      expect(calls - 1).toBe(c.expect.retries)
      // Every attempt got the whole body.
      for (const b of bodies) expect(b).toBe(c.request?.body ?? '')
      // Only the last attempt's headers.
      const last = calls - 1
      for (let i = 0; i < calls; i++) {
        const header = (c.attemptHeader ?? 'X-Attempt-{n}').replace('{n}', String(i))
        expect(res.headers.get(header) !== null, header).toBe(i === last)
      }
      for (const [k, v] of Object.entries(c.expect.headers ?? {})) expect(res.headers.get(k)).toBe(v)
    })
  }
})

describe('retry: TestRetryHTTPStatusCodesConfigValidation', () => {
  for (const c of data.validation) {
    it(name(c.source), () => {
      if (c.error) expect(() => retry(c.config as never)).toThrow(c.error)
      else expect(() => retry(c.config as never)).not.toThrow()
    })
  }
})
