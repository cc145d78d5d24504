// A serversTransport whose rootCAs hold a PEM workerd cannot read must not take the edge down
// (workerd refuses to start on it): it is reported, located, and left out (that transport then
// trusts nothing rather than the system's CAs), and the edge keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, testCa, type TestEdge, type Upstream } from '../support/index.ts'

let up: Upstream
let edge: TestEdge

const config = (rootCAs: string[]): DynamicConfig => ({
  http: {
    routers: { r: { rule: 'Host(`a.test`)', service: 's' } },
    services: { s: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true, serversTransport: 'st' } } },
    serversTransports: { st: { rootCAs } },
  },
})

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.2' })
  edge = await startEdge({ input: { config: config([testCa().cert]) } })
})
afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

describe('an unreadable CA certificate', () => {
  it('is reported and not trusted; workerd restarts fine and the edge keeps serving', async () => {
    expect((await edge.request('/', { headers: { host: 'a.test' } })).status).toBe(200)
    const { problems } = await edge.apply({ config: config(['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']) })
    expect(problems).toContainEqual(expect.stringMatching(/^serversTransport st: rootCAs\[0\]: unreadable certificate.*; not trusted$/))
    const res = await edge.request('/', { headers: { host: 'a.test' } })
    expect(res.status, res.body).toBe(200)
  })
})
