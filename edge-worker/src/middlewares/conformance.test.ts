/**
 * Traefik's own test cases for the middlewares the edge implements (../shared/conformance/
 * middlewares.json), run through the edge's middlewares with a recording next handler.
 * Cases of configurations the edge refuses (capabilities.ts) must be refused.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { middlewareUnsupported } from '../../../shared/table/capabilities.ts'
import { caseRequest, type MiddlewareCase } from '../../../test/support/middleware-cases.ts'
import type { EdgeRequest } from '../request.ts'
import { MIDDLEWARES, chain } from './index.ts'
import { unescapePath } from './path.ts'

type Case = MiddlewareCase

const all = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../shared/conformance/middlewares.json'), 'utf8')) as Case[]
const ours = all.filter((c) => c.middleware in MIDDLEWARES)

// A Host header in a case is Go's req.Host; RemoteAddr (host:port) gives the client IP.
const edgeRequest = caseRequest

describe('middlewares.json through the edge middlewares', () => {
  it('covers every case of the implemented types', () => {
    expect(ours.length).toBeGreaterThanOrEqual(60)
  })

  for (const c of ours) {
    it(c.source, async () => {
      const unsupported = middlewareUnsupported(c.middleware, c.config)
      if (c.configError) {
        expect(() => MIDDLEWARES[c.middleware as keyof typeof MIDDLEWARES](c.config as never, { name: 'mw', edge: { target: 'workerd', env: {}, log: () => {} } })).toThrow()
        return
      }
      if (!c.request || !c.expect) return
      let seen: EdgeRequest | null = null
      const next = async (req: EdgeRequest) => {
        seen = { ...req, headers: new Headers(req.headers) }
        return new Response('', { status: c.upstreamResponse?.status ?? 200, headers: c.upstreamResponse?.headers ?? {} })
      }
      const handler = chain([{ name: 'mw', type: c.middleware, config: c.config }], next, { target: 'workerd', env: {}, log: () => {} })
      const res = await handler(edgeRequest(c.request))
      if (c.middleware === 'headers' && Object.keys(c.config).length === 0) {
        // This case drives Traefik's inner NewHeader; the middleware's New refuses an empty
        // configuration (DIGEST-dataplane §8), so a route with it cannot serve: 500.
        expect(res.status).toBe(500)
        return
      }
      if (unsupported !== null) {
        // Not implemented by the edge: refused, never served without it.
        expect(res.status).toBe(501)
        expect(seen).toBeNull()
        return
      }
      expect(res.status).toBe(c.expect.status)
      if (c.expect.status !== 200) return
      const up = seen as EdgeRequest | null
      if (c.expect.forwardedToNext === false) {
        // Answered by the middleware itself (a CORS preflight): nothing reaches the next handler.
        expect(up).toBeNull()
      } else expect(up).not.toBeNull()
      if (c.expect.upstreamPath !== undefined) expect(up!.path === '' ? '/' : up!.path).toBe(c.expect.upstreamPath)
      if (c.expect.upstreamDecodedPath !== undefined) expect(unescapePath(up!.path)).toBe(c.expect.upstreamDecodedPath)
      if (c.expect.upstreamHost !== undefined) expect(up!.host).toBe(c.expect.upstreamHost)
      for (const [k, v] of Object.entries(c.expect.upstreamHeaders ?? {})) {
        expect(up!.headers.get(k), k).toBe(v)
        if (k.toLowerCase() === 'x-forwarded-for' && v === null) expect(up!.skipXff).toBe(true)
      }
      if (c.expect.upstreamHeadersExact) {
        const want = Object.entries(c.expect.upstreamHeaders ?? {}).filter(([, v]) => v !== null).map(([k]) => k.toLowerCase())
        expect([...up!.headers.keys()].sort()).toEqual(want.sort())
      }
      if (c.expect.responseHeaders) {
        const got = Object.fromEntries([...res.headers].filter(([k]) => k !== 'content-type'))
        const want = Object.fromEntries(Object.entries(c.expect.responseHeaders).map(([k, v]) => [k.toLowerCase(), v]))
        if (c.expect.responseHeadersExact) expect(got).toEqual(want)
        else expect(got).toMatchObject(want)
      }
    })
  }
})
