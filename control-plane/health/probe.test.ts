// Traefik's check semantics against real servers on loopback: status rules, redirects, Host,
// headers, method, port and scheme overrides, timeout, and gRPC's health protocol over HTTP/2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { leafCert, testCa } from '../../test/support/certs.ts'
import { createServer as createH2Server, type Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { planOf, checkTarget, type HealthCheckSpec } from './plan.ts'
import { probe, servingStatus } from './probe.ts'

let server: Server
let base: string
let port: number
const seen: Array<{ method: string; url: string; host: string; headers: Record<string, unknown> }> = []

function spec(over: Partial<HealthCheckSpec> = {}): HealthCheckSpec {
  return { ...planOf('s', {}, ['http://x']).check, timeoutMs: 1000, ...over }
}
const noTls = { insecureSkipVerify: false }

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, host: req.headers.host ?? '', headers: req.headers })
    const m = /^\/status\/(\d+)/.exec(req.url!)
    if (m) return void res.writeHead(Number(m[1])).end()
    if (req.url === '/redirect') return void res.writeHead(302, { location: '/status/500' }).end()
    if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(), 500)
    res.writeHead(200).end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
  base = `http://127.0.0.1:${port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('defaults (Traefik pkg/healthcheck NewServiceHealthChecker)', () => {
  it('interval 30s, unhealthyInterval = interval, timeout 5s, GET, followRedirects, mode http', () => {
    const p = planOf('svc', {}, ['http://a'])
    expect(p).toMatchObject({ intervalMs: 30_000, unhealthyIntervalMs: 30_000 })
    expect(p.check).toMatchObject({ mode: 'http', method: 'GET', timeoutMs: 5000, followRedirects: true, status: 0 })
    expect(planOf('svc', { interval: '10s' }, []).unhealthyIntervalMs).toBe(10_000)
    expect(planOf('svc', { interval: '10s', unhealthyInterval: '2s' }, []).unhealthyIntervalMs).toBe(2000)
  })
  it('a zero or negative interval, unhealthyInterval or timeout falls back to the default', () => {
    const p = planOf('svc', { interval: '0s', unhealthyInterval: '-1s', timeout: '0ns' }, [])
    expect([p.intervalMs, p.unhealthyIntervalMs, p.check.timeoutMs]).toEqual([30_000, 30_000, 5000])
  })
  it('the check target: path resolved against the server URL (relative too), IPv6 kept in brackets', () => {
    expect(checkTarget('http://10.0.0.1:81/base/', { path: 'health', scheme: '', port: 0 }).href).toBe('http://10.0.0.1:81/base/health')
    expect(checkTarget('http://[::1]:81', { path: '/h', scheme: '', port: 82 })).toEqual({ href: 'http://[::1]:82/h', host: '[::1]:82' })
  })
})

describe('HTTP checks', () => {
  it('status 0: any 2xx or 3xx is healthy, anything else is not', async () => {
    await expect(probe(base, spec({ path: '/status/204' }), noTls)).resolves.toBeUndefined()
    await expect(probe(base, spec({ path: '/status/304' }), noTls)).resolves.toBeUndefined()
    await expect(probe(base, spec({ path: '/status/404' }), noTls)).rejects.toThrow('received error status code: 404')
    await expect(probe(base, spec({ path: '/status/500' }), noTls)).rejects.toThrow('500')
  })
  it('an explicit status must match exactly', async () => {
    await expect(probe(base, spec({ path: '/status/404', status: 404 }), noTls)).resolves.toBeUndefined()
    await expect(probe(base, spec({ path: '/status/200', status: 204 }), noTls)).rejects.toThrow('expected status code: 204')
  })
  it('followRedirects: true follows to the target (here a 500); false takes the 302 as healthy', async () => {
    await expect(probe(base, spec({ path: '/redirect' }), noTls)).rejects.toThrow('500')
    await expect(probe(base, spec({ path: '/redirect', followRedirects: false }), noTls)).resolves.toBeUndefined()
  })
  it("a relative redirect keeps the configured Host, as Go's client does", async () => {
    seen.length = 0
    await expect(probe(base, spec({ path: '/redirect', hostname: 'check.example' }), noTls)).rejects.toThrow('500')
    expect(seen.map((s) => `${s.url} ${s.host}`)).toEqual(['/redirect check.example', '/status/500 check.example'])
  })
  it('method, hostname (the Host sent) and headers', async () => {
    seen.length = 0
    await probe(base, spec({ path: '/h', method: 'HEAD', hostname: 'check.example', headers: { 'X-Probe': 'yes' } }), noTls)
    expect(seen[0]).toMatchObject({ method: 'HEAD', url: '/h', host: 'check.example' })
    expect(seen[0]!.headers['x-probe']).toBe('yes')
  })
  it('port replaces the server port', async () => {
    await expect(probe('http://127.0.0.1:1', spec({ path: '/status/200', port }), noTls)).resolves.toBeUndefined()
  })
  it('timeout: a slower answer is a failure; a refused connection is a failure', async () => {
    await expect(probe(base, spec({ path: '/slow', timeoutMs: 100 }), noTls)).rejects.toThrow(/timeout/)
    await expect(probe('http://127.0.0.1:1', spec(), noTls)).rejects.toThrow(/HTTP request failed/)
  })
})

describe('gRPC checks (grpc.health.v1.Health/Check)', () => {
  let h2: Http2Server
  let status = 1
  let grpcStatus = '0'
  let grpcBase: string
  beforeAll(async () => {
    h2 = createH2Server()
    h2.on('stream', (stream, headers) => {
      stream.on('data', () => {})
      stream.on('end', () => {
        if (headers[':path'] !== '/grpc.health.v1.Health/Check') {
          stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12' }, { endStream: true })
          return
        }
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': grpcStatus }))
        // HealthCheckResponse{status}: field 1 varint.
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, status]))
      })
    })
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r))
    grpcBase = `http://127.0.0.1:${(h2.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => h2.close(() => r())))

  it('SERVING is healthy; NOT_SERVING and a failed call are not', async () => {
    status = 1
    await expect(probe(grpcBase, spec({ mode: 'grpc' }), noTls)).resolves.toBeUndefined()
    status = 2
    await expect(probe(grpcBase, spec({ mode: 'grpc' }), noTls)).rejects.toThrow('received gRPC status code: 2')
    status = 1
    grpcStatus = '14'
    await expect(probe(grpcBase, spec({ mode: 'grpc' }), noTls)).rejects.toThrow('grpc-status 14')
    grpcStatus = '0'
    await expect(probe('http://127.0.0.1:1', spec({ mode: 'grpc', timeoutMs: 500 }), noTls)).rejects.toThrow(/connect|timeout/)
  })
  it('reads the status field past other fields', () => {
    expect(servingStatus(Buffer.from([0, 0, 0, 0, 5, 0x12, 1, 0x41, 0x08, 3]))).toBe(3)
    expect(servingStatus(Buffer.from([0, 0, 0, 0, 0]))).toBe(0)
  })
})

describe('TLS checks with the serversTransport', () => {
  it('present its client certificate to a server that requires one, and verify with its CA and serverName', async () => {
    const client = leafCert({ dns: ['edge-client'] })
    const tlsServer = createHttpsServer(
      { ...leafCert({ dns: ['secure.holdout.internal'] }), requestCert: true, rejectUnauthorized: true, ca: testCa().cert },
      (req, res) => res.writeHead((req.socket as TLSSocket).getPeerCertificate().subject?.CN === 'edge-client' ? 200 : 403).end(),
    )
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r))
    try {
      const url = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`
      const plan = planOf('s', {}, [url], {
        serverName: 'secure.holdout.internal',
        rootCAs: [testCa().cert],
        certificates: [{ certFile: client.cert, keyFile: client.key }],
      })
      await expect(probe(url, spec(), plan.tls)).resolves.toBeUndefined()
      // Without the certificate the server refuses the handshake.
      await expect(probe(url, spec(), { ...plan.tls, cert: undefined, key: undefined })).rejects.toThrow()
    } finally {
      await new Promise((r) => tlsServer.close(r))
    }
  })
})
