/**
 * A table built for Cloudflare, served by the same worker on workerd: what the edge does
 * differently there. The compiler reports what Cloudflare cannot do (servers addressed by IP,
 * the client's Host outside the zone, custom CAs); the edge reaches every upstream with fetch()
 * (no sockets, no pool: Cloudflare keeps an in-zone Host on fetch itself), so on workerd the
 * upstream sees the server's host even with passHostHeader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { startEdge, startUpstream, testCa, type TestEdge, type Upstream } from '../support/index.ts'

let edge: TestEdge
let up: Upstream
let problems: string[] = []

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.31', name: 'cf-up' })
  const config: DynamicConfig = {
    http: {
      routers: {
        passing: { rule: 'Host(`passing.example`)', service: 'passing' },
        custom: { rule: 'Host(`custom-ca.example`)', service: 'customCa' },
      },
      services: {
        passing: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } },
        customCa: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: false, serversTransport: 'private' } },
      },
      serversTransports: { private: { rootCAs: [testCa().cert] } },
    },
  }
  edge = await startEdge({ target: 'cloudflare' })
  ;({ problems } = await edge.apply({ config }))
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

describe('a Cloudflare-target table', () => {
  it('is reported for what Cloudflare cannot do, each problem located', () => {
    const text = problems.join('\n')
    expect(text).toMatch(/passing.*servers.*IP addresses \(error 1003\)/)
    expect(text).toMatch(/passing.*passHostHeader.*inside the zone/)
    expect(text).toMatch(/private.*rootCAs.*public CAs only/)
  })

  it('reaches upstreams with fetch(): no socket, so workerd sends the server host', async () => {
    const res = await edge.request('/cf', { headers: { host: 'passing.example' } })
    expect(res.status).toBe(200)
    const echo = JSON.parse(res.body)
    expect(echo.url).toBe('/cf')
    // On workerd the URL's host; on Cloudflare an in-zone Host would be kept by fetch itself.
    expect(echo.headers.host).toBe(`${up.host}:${up.port}`)
    expect(echo.headers['x-forwarded-host']).toBe('passing.example')
  })
})
