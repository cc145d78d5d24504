/**
 * TLS at the edge on the real workerd runtime: HTTPS sockets configured from Traefik's TLS
 * options (control-plane/runtime/workerd-tls.ts), and Traefik's SNI check answering 421 when a
 * Host's TLS options are not the connection's, both with the socket's own options (self-hosted)
 * and with Cloudflare's handshake facts in request.cf (given here through workerd's cfBlobHeader).
 */
import { connect } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planSocketTls } from '../../control-plane/runtime/workerd-tls.ts'
import type { DynamicConfig } from '../../shared/dynamic/types.ts'
import { leafCert, startEdge, startUpstream, testCa, type TestEdge, type Upstream } from '../support/index.ts'

let up: Upstream
let edge: TestEdge
const HOSTS = ['plain.example', 'secure.example', 'modern.example']

function config(): DynamicConfig {
  const lb = { loadBalancer: { servers: [{ url: up.url }], passHostHeader: true } }
  return {
    http: {
      routers: {
        plain: { rule: 'Host(`plain.example`)', service: 'up', tls: {} },
        secure: { rule: 'Host(`secure.example`)', service: 'up', tls: { options: 'default-mtls' } },
        modern: { rule: 'Host(`modern.example`)', service: 'up', tls: { options: 'default-modern@kubernetescrd' } },
      },
      services: { up: lb },
    },
    tls: {
      options: {
        default: { minVersion: 'VersionTLS12' },
        'default-mtls': { minVersion: 'VersionTLS12', clientAuth: { clientAuthType: 'RequireAndVerifyClientCert', caFiles: [testCa().cert] } },
        'default-modern': { minVersion: 'VersionTLS13' },
      },
    },
  }
}

beforeAll(async () => {
  up = await startUpstream({ host: '127.0.0.2', name: 'up' })
  const cert = leafCert({ dns: HOSTS, ip: ['127.0.0.1'] })
  const keypair = { certificateChain: cert.cert, privateKey: cert.key }
  const socket = (optionsName: string) => {
    const plan = planSocketTls(config(), optionsName)
    expect(plan.problems).toEqual([])
    return { ...keypair, ...plan.options }
  }
  edge = await startEdge({
    input: { config: config() },
    entryPoints: [
      { name: 'websecure', tls: socket('default') },
      { name: 'modern', tls: socket('default-modern') },
      { name: 'cloudflare', tls: socket('default'), cfBlobHeader: 'cf-blob' },
    ],
  })
})

afterAll(async () => {
  await edge?.stop()
  await up?.close()
})

const get = (entryPoint: string, host: string, headers: Record<string, string> = {}) =>
  edge.request('/', { entryPoint, headers: { host, ...headers }, ca: testCa().cert })

describe('self-hosted: the socket serves one set of TLS options', () => {
  it('serves hosts on the socket options and answers 421 to hosts on others', async () => {
    const plain = await get('websecure', 'plain.example')
    expect(plain.status, plain.body).toBe(200)
    expect(JSON.parse(plain.body).headers.host).toBe('plain.example')
    for (const host of ['secure.example', 'modern.example']) {
      const res = await get('websecure', host)
      expect(res.status).toBe(421)
      expect(res.body).toBe('Misdirected Request\n')
    }
    const modern = await get('modern', 'modern.example')
    expect(modern.status, modern.body).toBe(200)
    expect((await get('modern', 'plain.example')).status).toBe(421)
  })

  it("enforces the options' minimum version at the handshake", async () => {
    const port = Number(new URL(edge.url('modern')).port)
    const handshake = (maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, servername: 'modern.example', ca: testCa().cert, maxVersion }, () => {
          resolve(socket.getProtocol() ?? 'none')
          socket.end()
        })
        socket.on('error', (err) => resolve(`error: ${err.message}`))
      })
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3')
    expect(await handshake('TLSv1.2')).toMatch(/^error: /)
  })
})

describe("Cloudflare: the Host's options are checked against the handshake facts in request.cf", () => {
  const cf = (facts: object) => ({ 'cf-blob': JSON.stringify(facts) })
  it('requires a verified client certificate where the options do', async () => {
    const verified = await get('cloudflare', 'secure.example', cf({ tlsVersion: 'TLSv1.3', tlsClientAuth: { certPresented: '1', certVerified: 'SUCCESS' } }))
    expect(verified.status, verified.body).toBe(200)
    const none = await get('cloudflare', 'secure.example', cf({ tlsVersion: 'TLSv1.3', tlsClientAuth: { certPresented: '0', certVerified: 'NONE' } }))
    expect(none.status).toBe(421)
  })

  it('checks the negotiated version against the options', async () => {
    expect((await get('cloudflare', 'modern.example', cf({ tlsVersion: 'TLSv1.2', tlsCipher: 'ECDHE-RSA-AES128-GCM-SHA256' }))).status).toBe(421)
    expect((await get('cloudflare', 'modern.example', cf({ tlsVersion: 'TLSv1.3', tlsCipher: 'AEAD-AES128-GCM-SHA256' }))).status).toBe(200)
    expect((await get('cloudflare', 'plain.example', cf({ tlsVersion: 'TLSv1.1', tlsCipher: 'ECDHE-RSA-AES128-SHA' }))).status).toBe(421)
  })
})
