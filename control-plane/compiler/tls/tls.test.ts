import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { compile } from '../index.ts'
import type { KubeObject } from '../snapshot/kube-types.ts'
import { canonical } from '../../../test/conformance/provider-compare.ts'
import { compileCase, compileYAML, providerCases } from '../../../test/support/provider-fixtures.ts'
import { DEFAULT_ALPN_PROTOCOLS, DEFAULT_CIPHER_SUITES } from './options.ts'

const b64 = (s: string) => Buffer.from(s).toString('base64')

function certSecret(name: string, cert: string, key: string, namespace = 'default'): string {
  return `
apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
data: { tls.crt: ${b64(cert)}, tls.key: ${b64(key)} }
---`
}

const route = (secretName: string, options = '') => `
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: web, namespace: default }
spec:
  routes: [{ match: "Host(\`a.test\`)" }]
  tls: { secretName: ${secretName} ${options} }
---`

describe('provider-cases.json: the tls section', () => {
  for (const [title, c] of providerCases()) {
    it(title, async () => {
      const { config } = await compileCase(c)
      expect(canonical(config.tls)).toEqual(canonical(c.expected.tls ?? {}))
    })
  }
})

describe('TLSOption', () => {
  it('starts from Traefik defaults, with no minimum version', () => {
    const { config } = compileYAML(`
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: my.opt, namespace: apps }
spec: { sniStrict: true }
`)
    expect(config.tls!.options).toEqual({
      'apps-my.opt': { cipherSuites: [...DEFAULT_CIPHER_SUITES], alpnProtocols: [...DEFAULT_ALPN_PROTOCOLS], sniStrict: true },
    })
  })

  it('is absent when there is no TLSOption, empty when two namespaces define the default', async () => {
    expect(compileYAML(route('x')).config.tls!.options).toBeUndefined()
    const [, c] = providerCases().find(([, c]) => c.name === 'TLS with two default tls options')!
    const { config, diagnostics } = await compileCase(c)
    expect(config.tls!.options).toEqual({})
    const errors = diagnostics.filter((d) => d.kind === 'TLSOption')
    expect(errors.map((d) => [d.namespace, d.field, d.severity])).toEqual([
      ['foo', 'metadata.name', 'error'],
      ['default', 'metadata.name', 'error'],
    ])
    expect(errors[0]!.message).toContain('defined in several namespaces (foo, default)')
  })

  it('uses only tls.ca or ca.crt for client CAs, skipping the others one by one', () => {
    const { config, diagnostics } = compileYAML(`
apiVersion: v1
kind: Secret
metadata: { name: good, namespace: default }
data: { ca.crt: ${b64('CA1')} }
---
apiVersion: v1
kind: Secret
metadata: { name: onekey, namespace: default }
data: { ca: ${b64('CA2')} }
---
apiVersion: traefik.io/v1alpha1
kind: TLSOption
metadata: { name: mtls, namespace: default }
spec:
  clientAuth: { secretNames: [good, onekey, absent], clientAuthType: RequireAndVerifyClientCert }
`)
    expect(config.tls!.options!['default-mtls']!.clientAuth).toEqual({
      caFiles: ['CA1'],
      clientAuthType: 'RequireAndVerifyClientCert',
    })
    expect(diagnostics.map((d) => [d.field, d.message])).toEqual([
      ['spec.clientAuth.secretNames[1]', 'secret default/onekey holds no CA: expected a tls.ca or ca.crt key, found keys ca; CA skipped'],
      ['spec.clientAuth.secretNames[2]', 'Secret default/absent not found; CA skipped'],
    ])
  })
})

describe('TLSStore and certificates', () => {
  it('drops a store whose default certificate cannot be loaded, with its certificates', () => {
    const { config, diagnostics } = compileYAML(`${certSecret('extra', 'C', 'K')}
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default, namespace: default }
spec:
  defaultCertificate: { secretName: missing }
  certificates: [{ secretName: extra }]
`)
    expect(config.tls!.stores).toEqual({})
    expect(config.tls!.certificates).toBeUndefined()
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'TLSStore',
        field: 'spec.defaultCertificate.secretName',
        message: 'Secret default/missing not found; TLSStore skipped',
      }),
    ])
  })

  it('keeps a store when one of its certificates is missing', () => {
    const { config, diagnostics } = compileYAML(`${certSecret('one', 'C1', 'K1')}
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: shop, namespace: default }
spec:
  certificates: [{ secretName: gone }, { secretName: one }]
  defaultGeneratedCert: { resolver: le, domain: { main: shop.test, sans: [www.shop.test] } }
`)
    expect(config.tls).toEqual({
      stores: { 'default-shop': { defaultGeneratedCert: { resolver: 'le', domain: { main: 'shop.test', sans: ['www.shop.test'] } } } },
      certificates: [{ certFile: 'C1', keyFile: 'K1', stores: ['default-shop'] }],
    })
    expect(diagnostics.map((d) => d.field)).toEqual(['spec.certificates[0].secretName'])
  })

  it('lets the store that names a Secret first keep it, and sorts by namespace/secret', () => {
    const { config } = compileYAML(`${certSecret('zeta', 'CZ', 'KZ')}${certSecret('alpha', 'CA', 'KA')}
apiVersion: traefik.io/v1alpha1
kind: TLSStore
metadata: { name: default, namespace: default }
spec: { certificates: [{ secretName: zeta }] }
---${route('zeta')}${route('alpha').replace('name: web', 'name: web2')}`)
    expect(config.tls!.certificates).toEqual([
      { certFile: 'CA', keyFile: 'KA' },
      { certFile: 'CZ', keyFile: 'KZ', stores: ['default'] },
    ])
  })

  it("keeps an IngressRoute's routes when its certificate cannot be loaded", () => {
    const { config, diagnostics } = compileYAML(`
apiVersion: v1
kind: Secret
metadata: { name: half, namespace: default }
data: { tls.crt: ${b64('C')} }
---${route('half')}`)
    expect(Object.keys(config.http!.routers!)).toHaveLength(1)
    expect(config.tls!.certificates).toBeUndefined()
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'IngressRoute',
        field: 'spec.tls.secretName',
        message: 'secret default/half has no tls.key (both are needed, non-empty); certificate not loaded; the routes are kept',
      }),
    ])
  })

  it('reads only base64 data, never stringData (which only manifests, not a cluster, can hold)', () => {
    const yaml = `
apiVersion: v1
kind: Secret
metadata: { name: plain, namespace: default }
stringData: { tls.crt: C, tls.key: K }
---${route('plain')}`
    // The provider itself, given an object with stringData only (as Traefik's tests do).
    const objects = parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject)
    const { config, diagnostics } = compile({ objects }, { validate: false })
    expect(config.tls!.certificates).toBeUndefined()
    expect(diagnostics[0]!.message).toContain('has no tls.crt and tls.key')
    // Manifests are read as the API server stores them: stringData merged into data.
    expect(compileYAML(yaml).config.tls!.certificates).toEqual([{ certFile: 'C', keyFile: 'K' }])
  })
})
