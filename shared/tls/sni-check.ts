/**
 * Traefik's SNI check (domain fronting): a TLS request whose Host is served with other TLS
 * options than the ones its connection was made with gets 421 Misdirected Request.
 *
 * The worker never sees the handshake's server name, so "the connection's options" is what the
 * edge does know about the connection:
 * - self-hosted workerd: each HTTPS socket is configured with one set of options (its worker's
 *   TLS_OPTIONS binding, `default` when unset), so a Host on other options is misdirected, as in
 *   Traefik when the SNI resolves to different options than the Host;
 * - Cloudflare (request.cf carries the handshake's facts): the connection must satisfy the Host's
 *   options (version range, TLS 1.2 cipher suites, client certificate), since Cloudflare, not the
 *   TLSOption, chose how to handshake.
 *
 * @module
 */
import { DEFAULT_TLS_OPTIONS, type TableTls, type TableTlsOptions } from '../table/schema.ts'
import { goTlsVersion, isTls13Suite, opensslCipherName, protocolVersion } from './cipher-suites.ts'

/** The parts of Cloudflare's request.cf the check reads. */
export interface HandshakeFacts {
  tlsVersion?: string
  tlsCipher?: string
  tlsClientAuth?: { certPresented?: string; certVerified?: string }
}

export interface Connection {
  /** The options the socket was configured with (self-hosted). */
  options: string
  /** The handshake as Cloudflare reports it; absent on self-hosted workerd. */
  facts?: HandshakeFacts
}

/** Traefik's findTLSOptionName: the exact host, then lower-cased, then with/without the trailing dot. */
export function hostOptions(tls: TableTls, entryPoint: string, hostHeader: string): string {
  const host = stripPort(hostHeader)
  for (const map of [tls.hosts[entryPoint], tls.hosts['']]) {
    if (!map) continue
    for (const h of [host, host.toLowerCase()]) {
      const found = map[h] ?? (h.endsWith('.') ? map[h.slice(0, -1)] : map[`${h}.`])
      if (found !== undefined) return found
    }
  }
  return DEFAULT_TLS_OPTIONS
}

/** Why the request is misdirected, or null when its connection may serve its Host. */
export function misdirected(tls: TableTls, entryPoint: string, host: string, connection: Connection): string | null {
  const name = hostOptions(tls, entryPoint, host)
  if (!connection.facts?.tlsVersion) {
    return name === connection.options ? null : `host ${host} uses TLS options ${name}, the connection ${connection.options}`
  }
  const options = tls.options[name]
  return options ? unmet(options, connection.facts) : null
}

function unmet(o: TableTlsOptions, facts: HandshakeFacts): string | null {
  const version = protocolVersion(facts.tlsVersion ?? '')
  if (version === undefined) return `unknown TLS version ${facts.tlsVersion}`
  const min = o.minVersion ? goTlsVersion(o.minVersion) : undefined
  const max = o.maxVersion ? goTlsVersion(o.maxVersion) : undefined
  if (min !== undefined && version < min) return `TLS version ${facts.tlsVersion} is below ${o.minVersion}`
  if (max !== undefined && version > max) return `TLS version ${facts.tlsVersion} is above ${o.maxVersion}`
  if (version < 13 && o.cipherSuites?.length) {
    const allowed = o.cipherSuites.filter((s) => !isTls13Suite(s)).map(opensslCipherName)
    if (!allowed.includes(facts.tlsCipher)) return `cipher ${facts.tlsCipher} is not in the options' cipherSuites`
  }
  const auth = facts.tlsClientAuth
  const presented = auth?.certPresented === '1'
  const verified = auth?.certVerified === 'SUCCESS'
  switch (o.clientAuthType) {
    case 'RequireAnyClientCert':
      return presented ? null : 'no client certificate'
    case 'RequireAndVerifyClientCert':
      return presented && verified ? null : 'no verified client certificate'
    case 'VerifyClientCertIfGiven':
      return !presented || verified ? null : 'the client certificate did not verify'
    default:
      return null
  }
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end === -1 ? host : host.slice(0, end + 1)
  }
  const colon = host.lastIndexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}
