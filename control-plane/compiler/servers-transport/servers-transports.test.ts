import { describe, expect, it } from 'vitest'
import { canonical } from '../../../test/conformance/provider-compare.ts'
import { compileCase, compileYAML, providerCases } from '../../../test/support/provider-fixtures.ts'

const transport = (spec: string) => `
apiVersion: traefik.io/v1alpha1
kind: ServersTransport
metadata: { name: st, namespace: apps }
spec: ${spec}
`

describe('provider-cases.json: http.serversTransports', () => {
  for (const [title, c] of providerCases()) {
    it(title, async () => {
      const { config } = await compileCase(c)
      expect(canonical(config.http!.serversTransports)).toEqual(canonical(c.expected.http?.serversTransports ?? {}))
    })
  }

  it('names what it skipped in the ServersTransport case', async () => {
    const [, c] = providerCases().find(([, c]) => c.name === 'ServersTransport')!
    const { diagnostics } = await compileCase(c)
    expect(diagnostics.filter((d) => d.kind === 'ServersTransport').map((d) => [d.field, d.message])).toEqual([
      ['spec.rootCAs[2]', 'names both a Secret and a ConfigMap; skipped'],
    ])
  })
})

describe('ServersTransport', () => {
  it('always has forwarding timeouts, with Traefik defaults', () => {
    const { config } = compileYAML(transport('{ forwardingTimeouts: { responseHeaderTimeout: 2 } }'))
    expect(config.http!.serversTransports).toEqual({
      'apps-st': {
        forwardingTimeouts: {
          dialTimeout: '30000000000ns',
          responseHeaderTimeout: '2000000000ns',
          idleConnTimeout: '90000000000ns',
          pingTimeout: '15000000000ns',
        },
      },
    })
  })

  it('drops the whole cipher list when one name is unknown', () => {
    const { config, diagnostics } = compileYAML(transport('{ cipherSuites: [TLS_AES_128_GCM_SHA256, TLS_MADE_UP] }'))
    expect(config.http!.serversTransports!['apps-st']!.cipherSuites).toBeUndefined()
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'ServersTransport',
        field: 'spec.cipherSuites',
        severity: 'warning',
        message: 'unknown cipher suite TLS_MADE_UP: the whole list is ignored',
      }),
    ])
  })

  it('ignores unknown versions and falls back to TLS 1.2 when the range is empty', () => {
    const unknown = compileYAML(transport('{ minVersion: TLS12, maxVersion: VersionTLS13 }'))
    expect(unknown.config.http!.serversTransports!['apps-st']).toMatchObject({ maxVersion: 'VersionTLS13' })
    expect(unknown.config.http!.serversTransports!['apps-st']!.minVersion).toBeUndefined()
    const empty = compileYAML(transport('{ minVersion: VersionTLS13, maxVersion: VersionTLS11 }'))
    const st = empty.config.http!.serversTransports!['apps-st']!
    expect([st.minVersion, st.maxVersion]).toEqual(['VersionTLS12', undefined])
    expect(empty.diagnostics.map((d) => d.field)).toEqual(['spec.minVersion'])
  })

  it('skips the transport when a timeout does not parse', () => {
    const { config, diagnostics } = compileYAML(transport('{ forwardingTimeouts: { dialTimeout: soon } }'))
    expect(config.http!.serversTransports).toEqual({})
    expect(diagnostics).toEqual([
      expect.objectContaining({
        field: 'spec.forwardingTimeouts.dialTimeout',
        severity: 'error',
        message: expect.stringMatching(/^invalid duration: .*"soon".*; ServersTransport skipped$/),
      }),
    ])
  })

  it('reads CAs from ConfigMaps without the single-key fallback of Secrets', () => {
    const { config, diagnostics } = compileYAML(`
apiVersion: v1
kind: ConfigMap
metadata: { name: onekey, namespace: apps }
data: { ca: CM }
---
apiVersion: v1
kind: Secret
metadata: { name: onekey, namespace: apps }
data: { ca: ${Buffer.from('SECRET-CA').toString('base64')} }
---${transport('{ rootCAs: [{ configMap: onekey }, { secret: onekey }, {}] }')}`)
    expect(config.http!.serversTransports!['apps-st']!.rootCAs).toEqual(['SECRET-CA'])
    expect(diagnostics.map((d) => [d.field, d.message])).toEqual([
      ['spec.rootCAs[0].configMap', 'config map apps/onekey holds no CA: expected a tls.ca or ca.crt key, found keys ca; skipped'],
      ['spec.rootCAs[2]', 'names neither a Secret nor a ConfigMap; skipped'],
    ])
  })
})
