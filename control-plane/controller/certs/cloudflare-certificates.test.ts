import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DynamicConfig } from '../../../shared/dynamic/types.ts'
import { startFakeCloudflareCerts, type FakeCloudflareCerts } from '../../../test/support/fake-cloudflare-certs.ts'
import { leafCert, type Pem } from '../../../test/support/certs.ts'
import { compile } from '../../compiler/index.ts'
import { parseManifestText } from '../../manifests/load.ts'
import { desiredCertificates, jsonCertificateState, syncCloudflareCertificates, type ManagedCertificate } from './cloudflare-certificates.ts'

let api: FakeCloudflareCerts
let saved: Map<string, string>

beforeEach(async () => {
  api = await startFakeCloudflareCerts()
  saved = new Map()
})
afterEach(async () => api.close())

const state = () => jsonCertificateState({ get: async (k) => saved.get(k) ?? null, put: async (k, v) => void saved.set(k, v) })
const sync = (config: DynamicConfig) =>
  syncCloudflareCertificates(desiredCertificates(config), { baseUrl: api.baseUrl, apiToken: api.token, zoneId: api.zoneId, state: state(), baseDelayMs: 1 })
const configOf = (certs: Pem[], storeDefault?: Pem): DynamicConfig => ({
  tls: {
    certificates: certs.map((c) => ({ certFile: c.cert, keyFile: c.key })),
    ...(storeDefault ? { stores: { default: { defaultCertificate: { certFile: storeDefault.cert, keyFile: storeDefault.key } } } } : {}),
  },
})
const managed = () => JSON.parse(saved.get('certificates/cloudflare')!) as Record<string, ManagedCertificate>

describe('certificates to Cloudflare custom certificates', () => {
  const a = leafCert({ dns: ['a.example', 'www.a.example'] })
  const b = leafCert({ dns: ['b.example'] })

  it('uploads each certificate once as an SNI custom certificate and remembers it; a second sync changes nothing', async () => {
    const first = await sync(configOf([a, b, a], b))
    expect(first.uploaded).toHaveLength(2)
    expect(first.problems).toEqual([])
    expect([...api.certificates.values()].map((c) => [c.hosts.sort().join(','), c.type, c.bundle_method]).sort()).toEqual([
      ['a.example,www.a.example', 'sni_custom', 'ubiquitous'],
      ['b.example', 'sni_custom', 'ubiquitous'],
    ])
    expect(
      Object.values(managed())
        .map((m) => m.hosts.join(','))
        .sort(),
    ).toEqual(['a.example,www.a.example', 'b.example'])
    const before = api.calls.length
    const second = await sync(configOf([a, b]))
    expect(second).toMatchObject({ uploaded: [], replaced: [], deleted: [], problems: [] })
    expect(second.kept).toHaveLength(2)
    expect(api.calls.slice(before)).toEqual(['GET'])
  })

  it('replaces a renewed certificate in place, deletes the ones gone, never touches certificates it did not upload', async () => {
    // Someone uploaded this one by hand: not ours.
    api.certificates.set('manual', { id: 'manual', hosts: ['c.example'], certificate: '', bundle_method: 'ubiquitous', type: 'sni_custom' })
    await sync(configOf([a, b]))
    const idOfA = [...api.certificates.values()].find((c) => c.hosts.includes('a.example'))!.id
    const renewed = leafCert({ dns: ['www.a.example', 'a.example'] })
    const result = await sync(configOf([renewed]))
    // Cloudflare answers an sni_custom PATCH with a new id and deletes the old one: the new id is kept.
    const [newId] = result.replaced
    expect(newId).toBeDefined()
    expect(newId).not.toBe(idOfA)
    expect(api.certificates.has(idOfA)).toBe(false)
    expect(result.deleted).toHaveLength(1)
    expect(api.certificates.get(newId!)!.certificate).toBe(renewed.cert)
    expect([...api.certificates.keys()].sort()).toEqual([newId, 'manual'].sort())
    expect(Object.values(managed()).map((m) => m.id)).toEqual([newId])
    // A restarted controller (the state read back) finds it theirs: no duplicate upload, nothing deleted.
    const before = api.calls.length
    const again = await sync(configOf([renewed]))
    expect(again).toMatchObject({ uploaded: [], replaced: [], deleted: [], kept: [newId], problems: [] })
    expect(api.calls.slice(before)).toEqual(['GET'])
  })

  it('retries 429 and 5xx answers; a certificate Cloudflare refuses is reported and the others still land', async () => {
    api.fail(429, 2)
    const mismatched = { cert: a.cert, key: b.key }
    const result = await sync(configOf([mismatched, b]))
    expect(result.uploaded).toHaveLength(1)
    expect(result.problems).toEqual([
      'certificate for a.example, www.a.example: Cloudflare custom certificates POST /zones/zone0123456789abcdef0123456789ab/custom_certificates: 400 1212: The certificate and private key do not match',
    ])
    expect([...api.certificates.values()].map((c) => c.hosts)).toEqual([['b.example']])
    api.fail(503, 1)
    expect((await sync(configOf([b]))).kept).toHaveLength(1)
  })

  it('takes the certificates of Secrets the manifests name (IngressRoute tls.secretName, TLSStore default)', () => {
    const yaml = `apiVersion: v1
kind: Secret
metadata: { name: a, namespace: ns }
type: kubernetes.io/tls
data: { tls.crt: ${Buffer.from(a.cert).toString('base64')}, tls.key: ${Buffer.from(a.key).toString('base64')} }
---
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: { name: r, namespace: ns }
spec:
  routes: [{ match: Host(\`a.example\`), services: [{ name: s, port: 80 }] }]
  tls: { secretName: a }
`
    const { config } = compile({ objects: parseManifestText(yaml, 'x.yaml').objects.map((o) => o.object) }, {})
    const problems: string[] = []
    const desired = desiredCertificates(config, problems)
    expect(problems).toEqual([])
    expect(desired.map((d) => d.hosts)).toEqual([['a.example', 'www.a.example']])
    expect(desiredCertificates({ tls: { certificates: [{ certFile: 'junk', keyFile: 'junk' }] } }, problems)).toEqual([])
    expect(problems[0]).toMatch(/^tls.certificates\[0\]: not a PEM certificate/)
  })
})
