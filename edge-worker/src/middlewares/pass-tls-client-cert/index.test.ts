import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { leafCert, testCa } from '../../../../test/support/certs.ts'
import { middlewareUnsupported } from '../../../../shared/table/capabilities.ts'
import type { EdgeRequest, TlsClientAuth } from '../../request.ts'
import { chain } from '../index.ts'
import { queryEscape } from './index.ts'
import { readCertificate } from './x509.ts'

interface Case {
  source: string
  certs: string[]
  config: Record<string, unknown>
  expect: { header: string; value?: string | null; unescapedValue?: string | null }
}

const data = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../test/data/middlewares/pass-tls-client-cert.json'), 'utf8')) as {
  certs: Record<string, string>
  cases: Case[]
}

function request(certs: string[], headers: Record<string, string> = {}, auth: Partial<TlsClientAuth> = {}): EdgeRequest {
  const [leaf, ...rest] = certs.map((name) => `:${data.certs[name]}:`)
  return {
    method: 'GET',
    host: 'example.com',
    path: '/foo',
    query: '',
    headers: new Headers(headers),
    body: null,
    clientIp: '192.0.2.1',
    tls: certs.length > 0,
    entryPoint: 'websecure',
    skipXff: false,
    ctx: { waitUntil() {} },
    signal: undefined,
    tlsClientAuth: leaf
      ? { certPresented: '1', certVerified: 'SUCCESS', certRevoked: '0', certRFC9440: leaf, certChainRFC9440: rest.join(','), ...auth }
      : { certPresented: '0', certVerified: 'NONE', certRFC9440: '' },
  }
}

async function run(config: Record<string, unknown>, req: EdgeRequest, target: 'cloudflare' | 'workerd' = 'cloudflare') {
  let seen: EdgeRequest | null = null
  const res = await chain([{ name: 'mw', type: 'passTLSClientCert', config }], async (r) => ((seen = r), new Response('bar')), {
    target,
    env: {},
    log: () => {},
  })(req)
  return { res, upstream: seen as EdgeRequest | null }
}

describe("Traefik's passTLSClientCert tests (test/data/middlewares/pass-tls-client-cert.json), on Cloudflare's tlsClientAuth", () => {
  it('has every case', () => expect(data.cases.length).toBe(15))
  for (const c of data.cases) {
    it(c.source.split(':').pop()!, async () => {
      const { res, upstream } = await run(c.config, request(c.certs))
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('bar')
      const got = upstream!.headers.get(c.expect.header)
      if (c.expect.value === 'certs') expect(got).toBe(c.certs.map((n) => queryEscape(data.certs[n]!)).join(','))
      else if (c.expect.unescapedValue) expect(decodeURIComponent(got!.replaceAll('+', ' '))).toBe(c.expect.unescapedValue)
      else expect(got).toBeNull()
      expect(res.headers.get(c.expect.header)).toBeNull()
    })
  }
})

describe('passTLSClientCert at the edge', () => {
  it('removes the headers a client sends itself', async () => {
    const forged = { 'X-Forwarded-Tls-Client-Cert': 'forged', 'X-Forwarded-Tls-Client-Cert-Info': 'forged' }
    const { upstream } = await run({ pem: true, info: { notAfter: true } }, request([], forged))
    expect(upstream!.headers.get('x-forwarded-tls-client-cert')).toBeNull()
    expect(upstream!.headers.get('x-forwarded-tls-client-cert-info')).toBeNull()
  })

  it('passes on only what Cloudflare verified and is not revoked: its fields are filled whatever the validation found', async () => {
    const forged = { 'X-Forwarded-Tls-Client-Cert': 'forged' }
    for (const auth of [{ certVerified: 'FAILED:self signed certificate' }, { certVerified: 'NONE' }, { certRevoked: '1' }, { certVerified: undefined }]) {
      const { res, upstream } = await run({ pem: true, info: { subject: { commonName: true } } }, request(['minimalCert'], forged, auth))
      expect(res.status).toBe(200)
      expect(upstream!.headers.get('x-forwarded-tls-client-cert')).toBeNull()
      expect(upstream!.headers.get('x-forwarded-tls-client-cert-info')).toBeNull()
    }
    const { upstream } = await run({ pem: true }, request(['minimalCert'], forged, { certVerified: 'SUCCESS', certRevoked: '0' }))
    expect(upstream!.headers.get('x-forwarded-tls-client-cert')).toBe(queryEscape(data.certs.minimalCert!))
  })

  it('is refused on workerd, which gives the worker no client certificate: 501 and a compile-time reason', async () => {
    const { res, upstream } = await run({ pem: true }, request(['minimalCert']), 'workerd')
    expect(res.status).toBe(501)
    expect(upstream).toBeNull()
    expect(middlewareUnsupported('passTLSClientCert', { pem: true }, 'workerd')).toMatch(/workerd does not give the worker the client certificate/)
    expect(middlewareUnsupported('passTLSClientCert', { pem: true }, 'cloudflare')).toBeNull()
    // Asking for nothing is a no-op anywhere.
    expect((await run({}, request([]), 'workerd')).res.status).toBe(200)
  })

  it('reads certificates as Go does: serial, validity and SANs agree with Node’s X.509 parser', () => {
    const pem = leafCert({ dns: ['a.example', 'b.example'], ip: ['10.0.0.1', '2001:db8::1', '::ffff:192.0.2.7'] }).cert
    const der = new X509Certificate(pem).raw
    const fields = readCertificate(new Uint8Array(der))
    const node = new X509Certificate(pem)
    expect(fields.serial).toBe(BigInt(`0x${node.serialNumber}`))
    expect(fields.notBefore * 1000).toBe(new Date(node.validFrom).getTime())
    expect(fields.notAfter * 1000).toBe(new Date(node.validTo).getTime())
    expect(fields.dnsNames).toEqual(['a.example', 'b.example'])
    expect(fields.ips).toEqual(['10.0.0.1', '2001:db8::1', '192.0.2.7'])
    expect(fields.subject).toEqual([{ type: '2.5.4.3', value: 'a.example' }])
    expect(readCertificate(new Uint8Array(new X509Certificate(testCa().cert).raw)).issuer).toEqual([{ type: '2.5.4.3', value: 'traefik-edge test CA' }])
  })
})
