/**
 * forwardAuth against Traefik's own tests, transcribed in ./cases.json: the writeHeader table
 * (the auth request's headers) through authHeaders, and the handler tests through the real
 * pipeline with a real auth server on loopback.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startUpstream, type Upstream } from '../../../../test/support/index.ts'
import { caseRequest } from '../../../../test/support/middleware-cases.ts'
import type { EdgeRequest } from '../../request.ts'
import { chain } from '../index.ts'
import { authHeaders } from './index.ts'

interface WriteHeaderCase {
  source: string
  request: { method: string; url: string; headers: Record<string, string>; emptyHost?: boolean }
  trustForwardHeader: boolean
  authRequestHeaders?: string[]
  expectedHeaders: Record<string, string>
  checkForUnexpectedHeaders?: boolean
}
interface HandlerCase {
  source: string
  config: Record<string, unknown>
  request?: { headers: Record<string, string> }
  auth: { status: number; headers: Record<string, string | string[]>; body: string }
  expect: {
    status: number
    headers?: Record<string, string | null>
    body?: string
    bodyNotEmpty?: boolean
    nextCalled: boolean
    nextHeaders?: Record<string, string | null>
  }
}

const data = JSON.parse(readFileSync(join(import.meta.dirname, 'cases.json'), 'utf8')) as { writeHeader: WriteHeaderCase[]; handler: HandlerCase[] }
const servers: Upstream[] = []
afterAll(async () => Promise.all(servers.map((s) => s.close())))

describe('forwardAuth: Test_writeHeader', () => {
  it('has every row', () => expect(data.writeHeader.length).toBe(11))
  for (const c of data.writeHeader) {
    it(c.source.split('/').pop()!, () => {
      const req = { ...caseRequest(c.request), clientIp: '' }
      if (c.request.emptyHost) req.host = ''
      const h = authHeaders(req, c.trustForwardHeader, c.authRequestHeaders ?? [])
      for (const [k, v] of Object.entries(c.expectedHeaders)) {
        expect(h.get(k) ?? '', k).toBe(v)
        h.delete(k)
      }
      if (c.checkForUnexpectedHeaders) expect([...h.keys()]).toEqual([])
    })
  }
})

describe('forwardAuth: handler tests', () => {
  for (const c of data.handler) {
    it(c.source.split(':').pop()!, async () => {
      const auth = await startUpstream({
        host: '127.0.0.10',
        handler: (_req, res) => void res.writeHead(c.auth.status, c.auth.headers).end(c.auth.body),
      })
      servers.push(auth)
      let seen: EdgeRequest | null = null
      const handler = chain(
        [{ name: 'fa', type: 'forwardAuth', config: { address: auth.url, ...c.config } }],
        async (req) => ((seen = req), new Response('traefik\n')),
        { target: 'workerd', env: {}, log: () => {} },
      )
      const res = await handler(caseRequest({ method: 'GET', url: 'http://app.example/', headers: c.request?.headers ?? {} }))
      const body = await res.text()
      expect(res.status).toBe(c.expect.status)
      expect(seen !== null).toBe(c.expect.nextCalled)
      if (c.expect.body !== undefined) expect(body).toBe(c.expect.body)
      if (c.expect.bodyNotEmpty) expect(body).not.toBe('')
      for (const [k, v] of Object.entries(c.expect.headers ?? {})) {
        // The runtime writes Content-Length for a byte body on the wire; a Response object has none.
        const got = k === 'Content-Length' ? (res.headers.get(k) ?? String(new TextEncoder().encode(body).byteLength)) : res.headers.get(k)
        expect(got, k).toBe(v)
      }
      for (const [k, v] of Object.entries(c.expect.nextHeaders ?? {})) expect(seen!.headers.get(k), k).toBe(v)
    })
  }
})
