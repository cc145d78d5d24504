/**
 * passTLSClientCert: the client's TLS certificates, as Traefik sends them upstream:
 * X-Forwarded-Tls-Client-Cert (`pem`: each certificate's base64 DER, query-escaped, comma-joined)
 * and X-Forwarded-Tls-Client-Cert-Info (`info`: the chosen subject/issuer attributes, serial
 * number, validity and SANs per certificate, query-escaped). Headers of those names sent by the
 * client are removed so they cannot be forged.
 *
 * Where the runtime gives the certificates: on Cloudflare, request.cf.tlsClientAuth
 * (certRFC9440: the leaf's DER; certChainRFC9440: the rest of the chain the client sent), with
 * mTLS on the zone. Cloudflare fills those fields whatever its validation found, so only a
 * certificate it verified (certVerified `SUCCESS`) and that is not revoked (certRevoked `1`) is
 * passed on: Traefik hands upstream what its TLS handshake accepted, and an unverified
 * certificate would let a client claim any identity. workerd does not hand a client certificate to the worker, so on the workerd
 * target a configuration that asks for one is refused (501, and a compile-time diagnostic).
 *
 * @module
 */
import type { PassTLSClientCert, TLSClientCertificateInfo } from '../../../../shared/dynamic/types.ts'
import type { EdgeRequest, Handler } from '../../request.ts'
import { UnsupportedConfig } from '../toolkit/types.ts'
import type { MiddlewareContext } from '../toolkit/types.ts'
import { readCertificate, type Attribute, type CertificateFields } from './x509.ts'

const CERT = 'x-forwarded-tls-client-cert'
const CERT_INFO = 'x-forwarded-tls-client-cert-info'

export const PASS_TLS_CLIENT_CERT_WORKERD =
  'passTLSClientCert: workerd does not give the worker the client certificate (Cloudflare does, from mTLS on the zone)'

/** Whether the configuration asks for anything (Traefik's `pem`, or an `info` block). */
export function passTLSClientCertWantsCertificate(config: PassTLSClientCert | undefined): boolean {
  return config?.pem === true || (config?.info !== undefined && config.info !== null)
}

export function passTLSClientCert(config: PassTLSClientCert, context: MiddlewareContext): (next: Handler) => Handler {
  const pem = config?.pem === true
  const info = config?.info ?? null
  if (!passTLSClientCertWantsCertificate(config)) return (next) => next
  if (context.edge.target !== 'cloudflare') throw new UnsupportedConfig(PASS_TLS_CLIENT_CERT_WORKERD)
  return (next) =>
    async function passTLSClientCert(req) {
      req.headers.delete(CERT)
      req.headers.delete(CERT_INFO)
      const chain = clientChain(req)
      if (chain.length > 0) {
        if (pem) req.headers.set(CERT, chain.map((c) => queryEscape(c.base64)).join(','))
        if (info) req.headers.set(CERT_INFO, queryEscape(chain.map((c) => certInfo(readCertificate(c.der), info)).join(',')))
      }
      return next(req)
    }
}

interface ClientCert {
  base64: string
  der: Uint8Array
}

/** The certificates the client sent, leaf first, from Cloudflare's RFC 9440 fields: none unless Cloudflare verified them and they are not revoked. */
export function clientChain(req: EdgeRequest): ClientCert[] {
  const auth = req.tlsClientAuth
  if (!auth || auth.certPresented !== '1' || auth.certVerified !== 'SUCCESS' || auth.certRevoked === '1' || !auth.certRFC9440) return []
  const items = [auth.certRFC9440, ...(auth.certChainRFC9440 ? auth.certChainRFC9440.split(',') : [])]
  return items
    .map((item) => item.trim().replace(/^:|:$/g, ''))
    .filter((b64) => b64 !== '')
    .map((base64) => ({ base64, der: Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)) }))
}

const DC = '0.9.2342.19200300.100.1.25'
const OID = { C: '2.5.4.6', ST: '2.5.4.8', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', SN: '2.5.4.5' }

type DnOptions = Partial<
  Record<'country' | 'province' | 'locality' | 'organization' | 'organizationalUnit' | 'commonName' | 'serialNumber' | 'domainComponent', boolean>
>

/** Traefik's order: DC, C, ST, L, O, OU, then the last SerialNumber and the last CN (Go's pkix.Name keeps the last). */
function dn(attrs: Attribute[], o: DnOptions | undefined): string {
  if (!o) return ''
  const all = (type: string) => attrs.filter((a) => a.type === type && a.value !== '').map((a) => a.value)
  const last = (type: string) => attrs.filter((a) => a.type === type).at(-1)?.value ?? ''
  const parts: string[] = []
  if (o.domainComponent) parts.push(...attrs.filter((a) => a.type === DC).map((a) => `DC=${a.value}`))
  if (o.country) parts.push(...all(OID.C).map((v) => `C=${v}`))
  if (o.province) parts.push(...all(OID.ST).map((v) => `ST=${v}`))
  if (o.locality) parts.push(...all(OID.L).map((v) => `L=${v}`))
  if (o.organization) parts.push(...all(OID.O).map((v) => `O=${v}`))
  if (o.organizationalUnit) parts.push(...all(OID.OU).map((v) => `OU=${v}`))
  if (o.serialNumber && last(OID.SN) !== '') parts.push(`SN=${last(OID.SN)}`)
  if (o.commonName && last(OID.CN) !== '') parts.push(`CN=${last(OID.CN)}`)
  return parts.join(',')
}

function certInfo(cert: CertificateFields, info: TLSClientCertificateInfo): string {
  const values: string[] = []
  const subject = dn(cert.subject, info.subject as DnOptions | undefined)
  if (subject) values.push(`Subject="${subject}"`)
  const issuer = dn(cert.issuer, info.issuer as DnOptions | undefined)
  if (issuer) values.push(`Issuer="${issuer}"`)
  if (info.serialNumber) values.push(`SerialNumber="${cert.serial.toString()}"`)
  if (info.notBefore) values.push(`NB="${cert.notBefore}"`)
  if (info.notAfter) values.push(`NA="${cert.notAfter}"`)
  if (info.sans) {
    const sans = [...cert.dnsNames, ...cert.emails, ...cert.ips, ...cert.uris]
    if (sans.length) values.push(`SAN="${sans.join(',')}"`)
  }
  return values.join(';')
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}
