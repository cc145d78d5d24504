import { describe, expect, it } from 'vitest'
import type { TableTls } from '../table/schema.ts'
import { hostOptions, misdirected } from './sni-check.ts'

const tls: TableTls = {
  options: {
    default: { minVersion: 'VersionTLS12' },
    'default-mtls': { minVersion: 'VersionTLS13', clientAuthType: 'RequireAndVerifyClientCert' },
    'default-legacy': {
      minVersion: 'VersionTLS10',
      maxVersion: 'VersionTLS12',
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
    },
    'default-optional': { clientAuthType: 'VerifyClientCertIfGiven' },
  },
  hosts: {
    websecure: { 'secure.example': 'default-mtls', 'legacy.example': 'default-legacy', 'dot.example.': 'default-mtls', 'opt.example': 'default-optional' },
    '': { 'any.example': 'default-legacy' },
  },
}

describe('hostOptions (Traefik findTLSOptionName)', () => {
  it('finds the host without port, lower-cased, with or without the trailing dot; else default', () => {
    expect(hostOptions(tls, 'websecure', 'secure.example:8443')).toBe('default-mtls')
    expect(hostOptions(tls, 'websecure', 'SECURE.example')).toBe('default-mtls')
    expect(hostOptions(tls, 'websecure', 'secure.example.')).toBe('default-mtls')
    expect(hostOptions(tls, 'websecure', 'dot.example')).toBe('default-mtls')
    expect(hostOptions(tls, 'websecure', 'other.example')).toBe('default')
    expect(hostOptions(tls, 'web', 'secure.example')).toBe('default')
    expect(hostOptions(tls, 'web', 'any.example')).toBe('default-legacy')
    expect(hostOptions(tls, 'websecure', '[::1]:443')).toBe('default')
  })
})

describe('misdirected on self-hosted workerd (the socket has one set of options)', () => {
  const socket = { options: 'default' }
  it('serves hosts on the socket options and refuses the others', () => {
    expect(misdirected(tls, 'websecure', 'plain.example', socket)).toBeNull()
    expect(misdirected(tls, 'websecure', 'secure.example', socket)).toBe('host secure.example uses TLS options default-mtls, the connection default')
    expect(misdirected(tls, 'websecure', 'secure.example', { options: 'default-mtls' })).toBeNull()
    expect(misdirected(tls, 'websecure', 'plain.example', { options: 'default-mtls' })).not.toBeNull()
  })
})

describe('misdirected on Cloudflare (the handshake facts must satisfy the Host options)', () => {
  const cf = (tlsVersion: string, tlsCipher = 'AEAD-AES128-GCM-SHA256', certPresented = '0', certVerified = 'NONE') => ({
    options: 'default',
    facts: { tlsVersion, tlsCipher, tlsClientAuth: { certPresented, certVerified } },
  })
  it('checks the version range', () => {
    expect(misdirected(tls, 'websecure', 'plain.example', cf('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'))).toBeNull()
    expect(misdirected(tls, 'websecure', 'plain.example', cf('TLSv1.1', 'ECDHE-RSA-AES128-SHA'))).toBe('TLS version TLSv1.1 is below VersionTLS12')
    expect(misdirected(tls, 'websecure', 'legacy.example', cf('TLSv1.3'))).toBe('TLS version TLSv1.3 is above VersionTLS12')
    expect(misdirected(tls, 'websecure', 'legacy.example', cf('TLSv1', 'ECDHE-RSA-AES128-GCM-SHA256'))).toBeNull()
  })
  it('checks TLS 1.2 cipher suites by their OpenSSL names', () => {
    expect(misdirected(tls, 'websecure', 'legacy.example', cf('TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'))).toBeNull()
    expect(misdirected(tls, 'websecure', 'legacy.example', cf('TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384'))).toBe(
      "cipher ECDHE-RSA-AES256-GCM-SHA384 is not in the options' cipherSuites",
    )
  })
  it('checks client certificates', () => {
    expect(misdirected(tls, 'websecure', 'secure.example', cf('TLSv1.3'))).toBe('no verified client certificate')
    expect(misdirected(tls, 'websecure', 'secure.example', cf('TLSv1.3', undefined, '1', 'FAILED:self signed certificate'))).toBe(
      'no verified client certificate',
    )
    expect(misdirected(tls, 'websecure', 'secure.example', cf('TLSv1.3', undefined, '1', 'SUCCESS'))).toBeNull()
    expect(misdirected(tls, 'websecure', 'opt.example', cf('TLSv1.3'))).toBeNull()
    expect(misdirected(tls, 'websecure', 'opt.example', cf('TLSv1.3', undefined, '1', 'FAILED:expired'))).toBe('the client certificate did not verify')
  })
})
