/**
 * ServersTransport TLS through the real workerd (issue 19): each transport's own trust, TLS name
 * and client certificate, from the manifests' Secrets.
 *
 * - An HTTPS upstream on 127.0.0.7 whose certificate is for `secure.holdout.internal`, signed by
 *   a CA that only a ServersTransport names (rootCAs from a Secret, serverName): served, with
 *   that name as SNI, over both of the edge's connection paths. The same server through a
 *   transport without serverName, or through none, answers 502: the name is verified, and the CA
 *   is that transport's alone, not the process's.
 * - An upstream that requires a client certificate gets the one the ServersTransport names
 *   (certificatesSecrets), over the socket path and over fetch(); without it the handshake fails
 *   and the edge answers 502.
 */
import { createServer, type Server } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { leafCert, startEdge, testCa, type TestEdge } from '../support/index.ts'
import { caSecretYaml, serversTransportYaml, tlsSecretYaml } from '../support/manifests.ts'

interface Seen {
  sni: string | false
  host: string | undefined
  client: string | null
}

let edge: TestEdge
const servers: Server[] = []
let holdoutPort = 0
let mtlsPort = 0

/** An HTTPS upstream answering what it saw of the connection: SNI, Host, the client certificate's CN. */
async function httpsUpstream(host: string, options: { cert: { cert: string; key: string }; requireClientCert?: boolean }): Promise<number> {
  const server = createServer(
    {
      cert: options.cert.cert,
      key: options.cert.key,
      ...(options.requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: testCa().cert } : {}),
    },
    (req, res) => {
      const socket = req.socket as TLSSocket
      const peer = socket.getPeerCertificate()
      const seen: Seen = { sni: (socket as TLSSocket & { servername: string | false }).servername, host: req.headers.host, client: peer?.subject?.CN ?? null }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(seen))
    },
  )
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return (server.address() as { port: number }).port
}

function manifests(): string {
  const client = leafCert({ dns: ['edge-client'] })
  const service = (name: string, port: number, target: number) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: demo }
spec: { ports: [{ name: https, port: ${port} }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: demo, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
ports: [{ name: https, port: ${target} }]
endpoints: [{ addresses: [${name === 'mtls' ? '127.0.0.8' : '127.0.0.7'}], conditions: { ready: true } }]
`
  const route = (host: string, svc: string, transport: string | null, passHostHeader = true) =>
    `    - match: Host(\`${host}\`)
      services: [{ name: ${svc}, port: 443, scheme: https, passHostHeader: ${passHostHeader}${transport ? `, serversTransport: ${transport}` : ''} }]`
  return `${caSecretYaml({ name: 'holdout-ca', ca: testCa().cert })}---
${tlsSecretYaml({ name: 'edge-client', ...client })}---
${serversTransportYaml({ name: 'holdout', spec: '{ serverName: secure.holdout.internal, rootCAs: [{ secret: holdout-ca }] }' })}---
${serversTransportYaml({ name: 'holdout-no-name', spec: '{ rootCAs: [{ secret: holdout-ca }] }' })}---
${serversTransportYaml({ name: 'with-client-cert', spec: '{ rootCAsSecrets: [holdout-ca], certificatesSecrets: [edge-client] }' })}---
${service('holdout', 443, holdoutPort)}---
${service('mtls', 443, mtlsPort)}---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: tls-upstreams, namespace: demo }
spec:
  routes:
${route('holdout.example', 'holdout', 'holdout')}
${route('holdout-own-host.example', 'holdout', 'holdout', false)}
${route('no-name.example', 'holdout', 'holdout-no-name')}
${route('no-transport.example', 'holdout', null)}
${route('mtls.example', 'mtls', 'with-client-cert')}
${route('mtls-own-host.example', 'mtls', 'with-client-cert', false)}
${route('mtls-without-cert.example', 'mtls', 'holdout-no-name')}
`
}

beforeAll(async () => {
  holdoutPort = await httpsUpstream('127.0.0.7', { cert: leafCert({ dns: ['secure.holdout.internal'] }) })
  mtlsPort = await httpsUpstream('127.0.0.8', { cert: leafCert({ dns: ['mtls.internal'], ip: ['127.0.0.8'] }), requireClientCert: true })
  // No process-wide trust: whatever is trusted comes from the ServersTransports.
  edge = await startEdge({ input: { yaml: manifests() } })
})

afterAll(async () => {
  await edge?.stop()
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
})

async function seen(host: string): Promise<{ status: number; seen: Seen | string }> {
  const res = await edge.request('/', { headers: { host } })
  return { status: res.status, seen: res.status === 200 ? (JSON.parse(res.body) as Seen) : res.body }
}

describe('ServersTransport serverName and rootCAs', () => {
  it("serves an upstream whose certificate carries the serverName, signed by the transport's CA", async () => {
    const res = await seen('holdout.example')
    expect(res).toEqual({ status: 200, seen: { sni: 'secure.holdout.internal', host: 'holdout.example', client: null } })
  })

  it("sends the serverName with passHostHeader false too (the server's own Host)", async () => {
    const res = await seen('holdout-own-host.example')
    expect(res).toEqual({ status: 200, seen: { sni: 'secure.holdout.internal', host: `127.0.0.7:${holdoutPort}`, client: null } })
  })

  it("verifies the certificate against the server's address without a serverName: 502", async () => {
    expect((await seen('no-name.example')).status).toBe(502)
  })

  it('trusts the CA only for the transports that name it: 502 without one', async () => {
    expect((await seen('no-transport.example')).status).toBe(502)
  })
})

describe('ServersTransport client certificates', () => {
  it('presents the certificate the transport names to an upstream that requires one', async () => {
    const res = await seen('mtls.example')
    expect(res).toEqual({ status: 200, seen: { sni: false, host: 'mtls.example', client: 'edge-client' } })
  })

  it("presents it on the fetch() path too (passHostHeader false: the transport's network fetches)", async () => {
    const res = await seen('mtls-own-host.example')
    expect(res).toEqual({ status: 200, seen: { sni: false, host: `127.0.0.8:${mtlsPort}`, client: 'edge-client' } })
  })

  it('presents none for a transport without certificates: the upstream refuses, 502', async () => {
    expect((await seen('mtls-without-cert.example')).status).toBe(502)
  })
})
