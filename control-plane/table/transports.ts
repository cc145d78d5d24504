/**
 * serversTransports to the edge's transports, with what each target cannot honour said per field,
 * and a suggestion of what to do instead.
 *
 * Self-hosted workerd: a transport with its own trust (rootCAs) or client certificate gets its
 * own channel, a workerd network service with those tlsOptions that the generated config binds
 * into the worker (control-plane/runtime/workerd-config.ts); `serverName` is sent as SNI and
 * verified, over a socket (edge-worker/src/proxy/dial.ts). Cloudflare: public CAs only, client
 * certificates through an `mtls_certificates` binding the operator declares, SNI the server's
 * host. Neither runtime can skip verification or show the worker the peer's certificate (so no
 * SAN/URI pinning or SPIFFE).
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { durationToNs } from '../../shared/dynamic/duration.ts'
import type { ServersTransport } from '../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import type { TableTransport } from '../../shared/table/schema.ts'
import type { EdgeDiagnostics } from './diagnostics.ts'

const DEFAULT_DIAL_MS = 30_000
const DEFAULT_IDLE_MS = 90_000

/**
 * A transport's own network on self-hosted workerd: its trust and client certificate. The
 * binding is named after its material, so transports with the same material share one, and a
 * table whose transport changed names a binding an old config does not have (a clear 502, not a
 * silent use of the old trust).
 */
export interface UpstreamChannel {
  binding: string
  /** The serversTransports it serves. */
  transports: string[]
  /** rootCAs (PEM). */
  trustedCertificates: string[]
  /** No rootCAs: the system's CAs, as Go's transport trusts without RootCAs (with rootCAs, only those). */
  trustSystemCAs: boolean
  clientCertificate?: { certificateChain: string; privateKey: string }
}

export interface CompiledTransport {
  transport: TableTransport
  /** Self-hosted workerd only: the channel the generated config must provide. */
  channel?: UpstreamChannel
}

export function compileTransport(name: string, st: ServersTransport, target: EdgeTarget, d: EdgeDiagnostics): CompiledTransport {
  const runtime = target === 'cloudflare' ? 'Cloudflare Workers' : 'workerd'
  const cannot = (field: string, what: string, instead: string) =>
    d.error('serversTransport', name, field, `${what}: ${runtime} cannot do this; upstream TLS is verified as usual. ${instead}`)
  if (st.insecureSkipVerify) {
    cannot(
      'insecureSkipVerify',
      'skipping certificate verification is not possible',
      target === 'cloudflare'
        ? 'Instead: give the upstream a publicly trusted certificate for its host name.'
        : "Instead: trust the upstream's own certificate (or the CA that signed it) in rootCAs, and name it in serverName.",
    )
  }
  const pinning = "Instead: trust only the peer's CA in rootCAs and name its certificate in serverName"
  if (st.peerCertURI || st.peerCertSANs?.length)
    cannot(
      st.peerCertURI ? 'peerCertURI' : 'peerCertSANs',
      "peer certificate pinning is not enforced (the runtime does not show the worker the peer's certificate)",
      `${pinning}.`,
    )
  if (st.spiffe)
    cannot('spiffe', "SPIFFE verification is not done (the runtime does not show the worker the peer's certificate)", `${pinning} (the SPIFFE bundle's CA).`)
  if (st.cipherSuites?.length || st.minVersion || st.maxVersion) {
    d.warn('serversTransport', name, 'cipherSuites', "TLS versions and cipher suites are the runtime's own")
  }
  const certificates = st.certificates ?? []
  if (certificates.length > 1) d.warn('serversTransport', name, 'certificates', `${certificates.length} client certificates: only the first is presented`)
  const certificate = certificates[0]
  let binding: string | undefined
  let channel: UpstreamChannel | undefined
  if (target === 'cloudflare') {
    if (st.rootCAs?.length)
      cannot(
        'rootCAs',
        'custom root CAs are not trusted (public CAs only)',
        'Instead: give the upstream a publicly trusted certificate, or reach it through a Cloudflare Tunnel.',
      )
    if (st.serverName) {
      d.warn(
        'serversTransport',
        name,
        'serverName',
        "SNI and verification use the server's own host on Cloudflare (fetch() has no SNI option, and Cloudflare's startTls refuses expectedServerHostname): address the server by the name its certificate carries",
      )
    }
    if (certificate) {
      binding = mtlsBinding(name)
      d.warn(
        'serversTransport',
        name,
        'certificates',
        `presented through the mtls_certificates binding ${binding}: upload the certificate and key (npx wrangler mtls-certificate upload --cert cert.pem --key key.pem --name ${name}) and add [[mtls_certificates]] binding = "${binding}" certificate_id = "<the id it prints>" to wrangler.toml; until then its routes answer 502`,
      )
    }
  } else if (st.rootCAs?.length || certificate) {
    const clientCertificate = certificate ? { certificateChain: certificate.certFile ?? '', privateKey: certificate.keyFile ?? '' } : undefined
    const trustedCertificates = [...(st.rootCAs ?? [])]
    binding = channelBinding(trustedCertificates, clientCertificate)
    channel = {
      binding,
      transports: [name],
      trustedCertificates,
      trustSystemCAs: trustedCertificates.length === 0,
      ...(clientCertificate ? { clientCertificate } : {}),
    }
  }
  const timeouts = st.forwardingTimeouts ?? {}
  const ms = (field: keyof typeof timeouts, fallback: number): number => {
    const value = timeouts[field]
    if (value === undefined) return fallback
    try {
      return Math.max(0, Math.round(durationToNs(value) / 1e6))
    } catch (err) {
      d.warn('serversTransport', name, `forwardingTimeouts.${field}`, `${(err as Error).message}; default used`)
      return fallback
    }
  }
  if (target === 'cloudflare' && timeouts.dialTimeout !== undefined) {
    d.warn('serversTransport', name, 'forwardingTimeouts.dialTimeout', 'Cloudflare connects on its own terms; applied to the whole time until response headers')
  }
  const transport: TableTransport = {
    ...(st.serverName ? { serverName: st.serverName } : {}),
    insecureSkipVerify: st.insecureSkipVerify === true,
    rootCAs: st.rootCAs ?? [],
    ...(binding ? { binding } : {}),
    ...(st.maxIdleConnsPerHost ? { maxIdleConnsPerHost: st.maxIdleConnsPerHost } : {}),
    dialTimeoutMs: ms('dialTimeout', DEFAULT_DIAL_MS),
    responseHeaderTimeoutMs: ms('responseHeaderTimeout', 0),
    idleConnTimeoutMs: ms('idleConnTimeout', DEFAULT_IDLE_MS),
    disableHTTP2: st.disableHTTP2 === true,
  }
  return { transport, ...(channel ? { channel } : {}) }
}

/** The workerd binding (and service) of a transport's own network, named after its material. */
export function channelBinding(trustedCertificates: readonly string[], clientCertificate?: { certificateChain: string; privateKey: string }): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([trustedCertificates, clientCertificate?.certificateChain ?? '', clientCertificate?.privateKey ?? '']))
    .digest('hex')
  return `UPSTREAM_TLS_${digest.slice(0, 16)}`
}

/** The mtls_certificates binding a Cloudflare deployment declares for a transport's client certificate. */
export function mtlsBinding(transport: string): string {
  return `MTLS_${transport.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`
}
