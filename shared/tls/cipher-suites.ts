/**
 * Go's TLS cipher suite names (what TLSOption.cipherSuites holds, IANA names) and the OpenSSL
 * names that workerd's `cipherList` takes and Cloudflare's `request.cf.tlsCipher` reports
 * (BoringSSL's `AEAD-*` names for TLS 1.3). A table, not a library: no maintained package maps
 * Go's list, and it is fixed by the TLS registry.
 *
 * @module
 */

const OPENSSL: Record<string, string> = {
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  // Go's older aliases of the two above.
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_AES_128_GCM_SHA256: 'AEAD-AES128-GCM-SHA256',
  TLS_AES_256_GCM_SHA384: 'AEAD-AES256-GCM-SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'AEAD-CHACHA20-POLY1305-SHA256',
}

/** The OpenSSL/BoringSSL name of a Go cipher suite name, or undefined when Go has no such suite. */
export function opensslCipherName(goName: string): string | undefined {
  return OPENSSL[goName]
}

/** TLS 1.3 suites: Go (and Traefik) ignore cipherSuites for them, so they are never restricted. */
export function isTls13Suite(goName: string): boolean {
  return goName === 'TLS_AES_128_GCM_SHA256' || goName === 'TLS_AES_256_GCM_SHA384' || goName === 'TLS_CHACHA20_POLY1305_SHA256'
}

const VERSIONS: Record<string, number> = { VersionTLS10: 10, VersionTLS11: 11, VersionTLS12: 12, VersionTLS13: 13 }

/** Go's version name (`VersionTLS12`) as a number (12), or undefined when unknown. */
export function goTlsVersion(name: string): number | undefined {
  return VERSIONS[name]
}

/** A handshake's protocol as Cloudflare reports it (`TLSv1.2`, `TLSv1`) as a number (12, 10). */
export function protocolVersion(protocol: string): number | undefined {
  const m = /^TLSv1(?:\.([0-3]))?$/.exec(protocol)
  return m ? 10 + Number(m[1] ?? 0) : undefined
}
