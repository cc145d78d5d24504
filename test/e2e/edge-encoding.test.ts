/**
 * Encoded upstream bodies pass through the edge untouched: a gzip response reaches the client
 * gzipped once, over both upstream transports (fetch for passHostHeader false, sockets for the
 * client's Host), with and without a middleware that rewraps the response.
 */
import { gunzipSync, gzipSync } from 'node:zlib'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, type TestEdge, type Upstream } from '../support/index.ts'

const TEXT = 'hello, encoded world\n'.repeat(200)
let up: Upstream
let edge: TestEdge

beforeAll(async () => {
  up = await startUpstream({
    host: '127.0.0.2',
    handler: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
      res.end(gzipSync(TEXT))
    },
  })
  const lb = (passHostHeader: boolean) => ({ loadBalancer: { servers: [{ url: up.url }], passHostHeader } })
  const config: DynamicConfig = {
    http: {
      routers: {
        sockets: { rule: 'Host(`sockets.test`)', service: 'sockets' },
        fetch: { rule: 'Host(`fetch.test`)', service: 'fetch' },
        wrapped: { rule: 'Host(`wrapped.test`)', service: 'sockets', middlewares: ['hdr'] },
      },
      middlewares: { hdr: { headers: { customResponseHeaders: { 'X-Edge': 'yes' } } } },
      services: { sockets: lb(true), fetch: lb(false) },
    },
  }
  edge = await startEdge({ input: { config } })
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

/** The raw bytes and headers the client receives (no decoding by the client). */
function raw(host: string): Promise<{ encoding: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${edge.url()}/`, { headers: { host, 'accept-encoding': 'gzip' }, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('encoded upstream bodies', () => {
  for (const host of ['sockets.test', 'fetch.test', 'wrapped.test']) {
    it(`${host}: gzip from the upstream reaches the client gzipped once`, async () => {
      const res = await raw(host)
      expect(res.encoding).toBe('gzip')
      expect(gunzipSync(res.body).toString('utf8')).toBe(TEXT)
    })
  }
})
