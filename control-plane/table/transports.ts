/**
 * serversTransports to the edge's transports, with what each target cannot honour said per field.
 *
 * Self-hosted workerd trusts extra CAs through its generated config (static, for every upstream)
 * and verifies upstream certificates against the host it connects to; Cloudflare trusts public
 * CAs only. Neither can skip verification, present client certificates, pin SANs or SPIFFE IDs.
 *
 * @module
 */
import { durationToNs } from '../../shared/dynamic/duration.ts'
import type { ServersTransport } from '../../shared/dynamic/types.ts'
import type { EdgeTarget } from '../../shared/table/capabilities.ts'
import type { TableTransport } from '../../shared/table/schema.ts'
import type { EdgeDiagnostics } from './diagnostics.ts'

const DEFAULT_DIAL_MS = 30_000
const DEFAULT_IDLE_MS = 90_000

export function compileTransport(name: string, st: ServersTransport, target: EdgeTarget, d: EdgeDiagnostics): TableTransport {
  const cannot = (field: string, what: string) =>
    d.error(
      'serversTransport',
      name,
      field,
      `${what}: ${target === 'cloudflare' ? 'Cloudflare Workers' : 'workerd'} cannot do this; upstream TLS is verified as usual`,
    )
  if (st.insecureSkipVerify) cannot('insecureSkipVerify', 'skipping certificate verification is not possible')
  if (st.certificates?.length) cannot('certificates', 'client certificates (mTLS to the upstream) are not presented')
  if (st.peerCertURI || st.peerCertSANs?.length) cannot('peerCertURI', 'peer certificate pinning is not enforced')
  if (st.spiffe) cannot('spiffe', 'SPIFFE verification is not done')
  if (st.cipherSuites?.length || st.minVersion || st.maxVersion) {
    d.warn('serversTransport', name, 'cipherSuites', "TLS versions and cipher suites are the runtime's own")
  }
  if (st.rootCAs?.length) {
    if (target === 'cloudflare') cannot('rootCAs', 'custom root CAs are not trusted (public CAs only)')
    else d.warn('serversTransport', name, 'rootCAs', 'trusted for every upstream of the edge (workerd trusts extra CAs per process, not per service)')
  }
  if (st.serverName) {
    d.warn('serversTransport', name, 'serverName', "SNI and verification use the server's own host; serverName is not sent")
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
  return {
    ...(st.serverName ? { serverName: st.serverName } : {}),
    insecureSkipVerify: st.insecureSkipVerify === true,
    rootCAs: st.rootCAs ?? [],
    dialTimeoutMs: ms('dialTimeout', DEFAULT_DIAL_MS),
    responseHeaderTimeoutMs: ms('responseHeaderTimeout', 0),
    idleConnTimeoutMs: ms('idleConnTimeout', DEFAULT_IDLE_MS),
    disableHTTP2: st.disableHTTP2 === true,
  }
}
