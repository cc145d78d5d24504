/**
 * An upstream that closes idle keep-alive connections (Node's default after 5 s; 300 ms here):
 * the next request, a POST without a body included, is answered, not 502 — as Go's transport
 * retries a request on a connection the server closed while idle. Both upstream transports.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, type TestEdge } from '../support/index.ts'

let server: Server
let edge: TestEdge

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end(`${req.method} ok\n`))
  })
  server.keepAliveTimeout = 300
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', r))
  const url = `http://127.0.0.2:${(server.address() as AddressInfo).port}`
  const lb = (passHostHeader: boolean) => ({ loadBalancer: { servers: [{ url }], passHostHeader } })
  const config: DynamicConfig = {
    http: {
      routers: { client: { rule: 'Host(`client.test`)', service: 'client' }, own: { rule: 'Host(`own.test`)', service: 'own' } },
      services: { client: lb(true), own: lb(false) },
    },
  }
  edge = await startEdge({ input: { config } })
})

afterAll(async () => {
  await edge?.stop()
  server?.closeAllConnections()
  await new Promise((r) => server?.close(r))
})

describe('a connection the upstream closed while idle', () => {
  for (const host of ['client.test', 'own.test']) {
    it(`${host}: POST and GET after the upstream's idle timeout are answered`, async () => {
      for (const method of ['POST', 'GET', 'POST']) {
        const res = await edge.request('/', { method, headers: { host } })
        expect(res.status, `${method} ${res.body}`).toBe(200)
        expect(res.body).toBe(`${method} ok\n`)
        await new Promise((r) => setTimeout(r, 600))
      }
    })
  }
})
