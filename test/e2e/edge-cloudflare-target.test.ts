/**
 * A table built for Cloudflare, served by the same worker on workerd: what the edge does
 * differently there. The compiler reports what Cloudflare cannot do (servers addressed by IP,
 * the client's Host outside the zone, custom CAs); the edge reaches every upstream with fetch()
 * (no sockets, no pool: Cloudflare keeps an in-zone Host on fetch itself), so on workerd the
 * upstream sees the server's host even with passHostHeader. A ServersTransport's client
 * certificate goes through the mtls_certificates binding the compiler names: here a workerd
 * network with that keypair stands in for it (both are a Fetcher that presents the certificate).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { createServer, type Server } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { eventually } from '../support/eventually.ts'
import { leafCert, startEdge, startUpstream, testCa, type TestEdge, type Upstream } from '../support/index.ts'

let edge: TestEdge
let up: Upstream
let problems: string[] = []
let mtls: Server
let mtlsUrl = ''

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.31', name: 'cf-up' })
  // Requires a client certificate from the test CA; answers with its CN.
  mtls = createServer({ ...leafCert({ ip: ['127.0.0.32'] }), requestCert: true, rejectUnauthorized: true, ca: testCa().cert }, (req, res) =>
    res.end(`client ${(req.socket as TLSSocket).getPeerCertificate().subject?.CN}`),
  )
  await new Promise<void>((resolve) => mtls.listen(0, '127.0.0.32', resolve))
  mtlsUrl = `https://127.0.0.32:${(mtls.address() as { port: number }).port}`
  const client = leafCert({ dns: ['edge-client'] })
  const config: DynamicConfig = {
    http: {
      routers: {
        passing: { rule: 'Host(`passing.example`)', service: 'passing' },
        custom: { rule: 'Host(`custom-ca.example`)', service: 'customCa' },
        mtls: { rule: 'Host(`mtls.example`)', service: 'mtls' },
      },
      services: {
        passing: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } },
        customCa: { loadBalancer: { servers: [{ url: up.url }], passHostHeader: false, serversTransport: 'private' } },
        mtls: { loadBalancer: { servers: [{ url: mtlsUrl }], passHostHeader: false, serversTransport: 'client-cert' } },
      },
      serversTransports: { private: { rootCAs: [testCa().cert] }, 'client-cert': { certificates: [{ certFile: client.cert, keyFile: client.key }] } },
    },
  }
  edge = await startEdge({ target: 'cloudflare' })
  ;({ problems } = await edge.apply({ config }))
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
  await new Promise((r) => mtls?.close(r))
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

  it("presents a transport's client certificate through the mtls_certificates binding it names", async () => {
    expect(problems.join('\n')).toMatch(/serversTransport client-cert: certificates: presented through the mtls_certificates binding MTLS_CLIENT_CERT/)
    // Not declared yet: 502, and the log says which binding is missing.
    const missing = await edge.request('/', { headers: { host: 'mtls.example' } })
    expect(missing.status).toBe(502)
    await eventually(() => expect(edge.logs.join('\n')).toMatch(/MTLS_CLIENT_CERT is not configured/))
    // Declared: a Fetcher that presents the certificate (trusting the test CA, as Cloudflare trusts public ones).
    const client = leafCert({ dns: ['edge-client'] })
    await edge.local.trust({ trustedCertificates: [testCa().cert], channels: [{ binding: 'MTLS_CLIENT_CERT', trustedCertificates: [testCa().cert], trustSystemCAs: false, clientCertificate: { certificateChain: client.cert, privateKey: client.key } }] })
    const res = await edge.request('/', { headers: { host: 'mtls.example' } })
    expect(res.status, res.body).toBe(200)
    expect(res.body).toBe('client edge-client')
  })
})
