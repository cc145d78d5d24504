// Traefik's TLS configuration (certificates, the default TLSStore, a TLSOption) as what a
// workerd HTTPS socket can be told: one keypair (workerd has no SNI-based certificate selection),
// a minimum version, an OpenSSL cipher list and required client certificates. Everything else is
// reported, never silently dropped. Pure.
import type { DynamicConfig, TLSOptions } from '../../shared/dynamic/types.ts'
import { DEFAULT_TLS_OPTIONS } from '../../shared/table/schema.ts'
import { isTls13Suite, opensslCipherName } from '../../shared/tls/cipher-suites.ts'
import { keypairProblem, usableCertificates } from './pem-check.ts'
import type { WorkerdSocketTls } from './workerd-config.ts'

export interface Keypair {
  certificateChain: string
  privateKey: string
}

export interface SocketTlsPlan {
  /** The certificate the socket serves, or null: the caller provides a generated default one. */
  keypair: Keypair | null
  options: Omit<WorkerdSocketTls, 'certificateChain' | 'privateKey'>
  /** One line per thing Traefik would do that the socket will not. */
  problems: string[]
}

const MIN_VERSION: Record<string, WorkerdSocketTls['minVersion']> = {
  VersionTLS10: 'tls1Dot0',
  VersionTLS11: 'tls1Dot1',
  VersionTLS12: 'tls1Dot2',
  VersionTLS13: 'tls1Dot3',
}

/** The plan for a socket serving the TLS options named `optionsName` (default `default`). */
export function planSocketTls(config: DynamicConfig, optionsName = DEFAULT_TLS_OPTIONS): SocketTlsPlan {
  const problems: string[] = []
  const keypair = chooseKeypair(config, problems)
  const configured = config.tls?.options?.[optionsName]
  // Traefik's default options when none are configured: minVersion TLS 1.2.
  const o: TLSOptions = configured ?? (optionsName === DEFAULT_TLS_OPTIONS ? { minVersion: 'VersionTLS12' } : {})
  const at = `tls.options ${optionsName}`
  const options: SocketTlsPlan['options'] = { optionsName }
  if (o.minVersion) {
    const v = MIN_VERSION[o.minVersion]
    if (v) options.minVersion = v
    else problems.push(`${at}: minVersion: unknown version ${o.minVersion}`)
  }
  if (o.maxVersion) problems.push(`${at}: maxVersion: workerd sockets cannot cap the TLS version; ${o.maxVersion} is not enforced at the handshake`)
  const suites = (o.cipherSuites ?? []).filter((s) => !isTls13Suite(s))
  if (suites.length) {
    const names = suites.map((s) => ({ s, n: opensslCipherName(s) }))
    for (const { s } of names.filter((x) => !x.n)) problems.push(`${at}: cipherSuites: unknown cipher suite ${s}`)
    const known = names.flatMap((x) => (x.n ? [x.n] : []))
    if (known.length) options.cipherList = known.join(':')
  }
  if (o.curvePreferences?.length) problems.push(`${at}: curvePreferences: not configurable on workerd sockets; workerd's defaults apply`)
  if (o.sniStrict) problems.push(`${at}: sniStrict: workerd serves its one certificate whatever the SNI`)
  if (o.disableSessionTickets) problems.push(`${at}: disableSessionTickets: not configurable on workerd sockets`)
  const auth = o.clientAuth?.clientAuthType
  switch (auth) {
    case undefined:
    case '':
    case 'NoClientCert':
      break
    case 'RequireAndVerifyClientCert':
      options.requireClientCerts = true
      options.trustedCertificates = usableCertificates(o.clientAuth?.caFiles ?? [], `${at}: clientAuth.caFiles`, problems)
      break
    case 'RequireAnyClientCert':
      options.requireClientCerts = true
      options.trustedCertificates = usableCertificates(o.clientAuth?.caFiles ?? [], `${at}: clientAuth.caFiles`, problems)
      problems.push(
        `${at}: clientAuth.clientAuthType: RequireAnyClientCert is served as RequireAndVerifyClientCert (workerd verifies client certificates against the CAs)`,
      )
      break
    default:
      problems.push(
        `${at}: clientAuth.clientAuthType: ${auth} is not possible on workerd sockets (client certificates are either required and verified, or not asked for): not asked for`,
      )
  }
  return { keypair, options, problems }
}

function chooseKeypair(config: DynamicConfig, problems: string[]): Keypair | null {
  const usable = (c: { certFile?: string; keyFile?: string } | undefined, label: string): boolean => {
    if (!c?.certFile || !c.keyFile) return false
    const why = keypairProblem(c.certFile, c.keyFile)
    if (why) problems.push(`${label}: ${why}; not served`)
    return why === null
  }
  const fromStore = config.tls?.stores?.[DEFAULT_TLS_OPTIONS]?.defaultCertificate
  const certificates = (config.tls?.certificates ?? []).filter((c, i) => usable(c, `tls.certificates[${i}]`))
  const pick = usable(fromStore, 'tls.stores.default.defaultCertificate') ? fromStore : certificates[0]
  const left = certificates.filter((c) => c !== pick).length
  if (left > 0) {
    problems.push(`tls.certificates: workerd serves one certificate per socket (no SNI selection); ${left} other certificate(s) are not served by this socket`)
  }
  return pick ? { certificateChain: pick.certFile!, privateKey: pick.keyFile! } : null
}
