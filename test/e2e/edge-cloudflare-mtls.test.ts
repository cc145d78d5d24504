/**
 * A table built for Cloudflare whose ServersTransport names a client certificate: Cloudflare
 * presents it through an mtls_certificates binding, which the compiler names (MTLS_<TRANSPORT>)
 * and tells how to declare. Served by the same worker on workerd, a workerd network with that
 * keypair stands in for the binding (both are a Fetcher that presents the certificate). Until it
 * is declared the route answers 502 and the log names the missing binding.
 */
import { createServer, type Server } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { eventually } from '../support/eventually.ts'
import { buildEdgeInput, leafCert, startEdge, testCa, type TestEdge } from '../support/index.ts'

let edge: TestEdge
let problems: string[] = []
let mtls: Server

beforeAll(async () => {
  // Requires a client certificate from the test CA; answers with its CN.
  mtls = createServer({ ...leafCert({ ip: ['127.0.0.32'] }), requestCert: true, rejectUnauthorized: true, ca: testCa().cert }, (req, res) =>
    res.end(`client ${(req.socket as TLSSocket).getPeerCertificate().subject?.CN}`),
  )
  await new Promise<void>((resolve) => mtls.listen(0, '127.0.0.32', resolve))
  const client = leafCert({ dns: ['edge-client'] })
  const config: DynamicConfig = {
    http: {
      routers: { mtls: { rule: 'Host(`mtls.example`)', service: 'mtls' } },
      services: {
        mtls: {
          loadBalancer: {
            servers: [{ url: `https://127.0.0.32:${(mtls.address() as { port: number }).port}` }],
            passHostHeader: false,
            serversTransport: 'client-cert',
          },
        },
      },
      serversTransports: { 'client-cert': { certificates: [{ certFile: client.cert, keyFile: client.key }] } },
    },
  }
  // The loopback server stands for a public one: reached with fetch(), not through the cluster's tunnel.
  const built = buildEdgeInput({ config }, { target: 'cloudflare', tunnel: { mode: 'off', host: 'header' } })
  problems = built.problems
  edge = await startEdge({ input: { table: built.table }, target: 'cloudflare' })
})

afterAll(async () => {
  await edge?.stop()
  await new Promise((r) => mtls?.close(r))
})

describe('a Cloudflare-target table with a client certificate', () => {
  it("presents the transport's certificate through the mtls_certificates binding it names", async () => {
    expect(problems.join('\n')).toMatch(
      /serversTransport client-cert: certificates: presented through the mtls_certificates binding MTLS_CLIENT_CERT: .*\[\[mtls_certificates\]\] binding = "MTLS_CLIENT_CERT"/,
    )
    // Not declared yet: 502, and the log says which binding is missing.
    const missing = await edge.request('/', { headers: { host: 'mtls.example' } })
    expect(missing.status).toBe(502)
    await eventually(() => expect(edge.logs.join('\n')).toMatch(/MTLS_CLIENT_CERT is not configured/))
    // Declared: a Fetcher that presents the certificate (trusting the test CA, as Cloudflare trusts public ones).
    const client = leafCert({ dns: ['edge-client'] })
    await edge.local.trust({
      trustedCertificates: [testCa().cert],
      channels: [
        {
          binding: 'MTLS_CLIENT_CERT',
          trustedCertificates: [testCa().cert],
          trustSystemCAs: false,
          clientCertificate: { certificateChain: client.cert, privateKey: client.key },
        },
      ],
    })
    const res = await edge.request('/', { headers: { host: 'mtls.example' } })
    expect(res.status, res.body).toBe(200)
    expect(res.body).toBe('client edge-client')
  })
})
