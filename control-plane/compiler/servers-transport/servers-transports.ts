/**
 * ServersTransport objects to `http.serversTransports` (pkg/provider/kubernetes/crd/kubernetes.go's
 * loadConfigurationFromCRD): how the proxy
 * talks to upstream servers (TLS verification, client certificates, timeouts).
 *
 * Material that cannot be loaded (a CA, a client certificate) is skipped piece by piece and the
 * transport stays; cipher suites and versions Traefik would not accept are dropped with a
 * warning. Only an unparsable timeout drops the whole transport.
 *
 * @module
 */

import { formatDuration } from '../../../shared/dynamic/duration.ts'
import type { CertificateFiles, ForwardingTimeouts, ServersTransport } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { ServersTransportSpec, ServersTransport as ServersTransportObject } from '../crd/types.ts'
import { FieldError, fieldPath, type ObjectRef } from '../diagnostics/diagnostics.ts'
import { makeID, normalize } from '../naming/naming.ts'
import { durationOr } from '../middlewares/values.ts'
import { nameOf, namespaceOf } from '../snapshot/snapshot.ts'
import { loadCAConfigMap, loadCASecret, loadCertificateSecret } from '../tls/secret-material.ts'
import { KNOWN_CIPHER_SUITES, TLS_VERSIONS } from '../tls/tls-names.ts'

const TIMEOUT_DEFAULTS_NS: Record<keyof ForwardingTimeouts, number> = {
  dialTimeout: 30e9,
  responseHeaderTimeout: 0,
  idleConnTimeout: 90e9,
  readIdleTimeout: 0,
  pingTimeout: 15e9,
}

type Warn = (field: string, message: string) => void

export function buildServersTransports(ctx: CompileContext): void {
  for (const obj of ctx.index.serversTransports) buildOneServersTransport(ctx, obj)
}

/** One ServersTransport object (what the loop above does for each). */
export function buildOneServersTransport(ctx: CompileContext, obj: ServersTransportObject): void {
  const ref = ctx.index.ref(obj)
  try {
    const id = normalize(makeID(namespaceOf(obj), nameOf(obj)))
    ctx.config.http.serversTransports[id] = buildServersTransport(ctx, obj, ref)
  } catch (err) {
    ctx.diagnostics.fromError(ref, err, 'spec', 'ServersTransport skipped')
  }
}

function buildServersTransport(ctx: CompileContext, obj: ServersTransportObject, ref: ObjectRef): ServersTransport {
  const spec = obj.spec ?? {}
  const namespace = namespaceOf(obj)
  const warn: Warn = (field, message) => ctx.diagnostics.warn(ref, field, message)
  // A piece that cannot be loaded is reported and left out; the transport stays.
  const attempt = <T>(field: string, load: () => T): T | undefined => {
    try {
      return load()
    } catch (err) {
      ctx.diagnostics.fromError(ref, err, field, 'skipped')
      return undefined
    }
  }

  const rootCAs: string[] = []
  ;(spec.rootCAsSecrets ?? []).forEach((name, i) => {
    const field = fieldPath('spec', 'rootCAsSecrets', i)
    const ca = attempt(field, () => loadCASecret(ctx, namespace, name ?? '', field))
    if (ca !== undefined) rootCAs.push(ca)
  })
  ;(spec.rootCAs ?? []).forEach((rootCA, i) => {
    const field = fieldPath('spec', 'rootCAs', i)
    const ca = attempt(field, () => {
      const { secret, configMap } = rootCA ?? {}
      if (secret && configMap) throw new FieldError(field, 'names both a Secret and a ConfigMap')
      if (secret) return loadCASecret(ctx, namespace, secret, fieldPath(field, 'secret'))
      if (configMap) return loadCAConfigMap(ctx, namespace, configMap, fieldPath(field, 'configMap'))
      throw new FieldError(field, 'names neither a Secret nor a ConfigMap')
    })
    if (ca !== undefined) rootCAs.push(ca)
  })

  const certificates: CertificateFiles[] = []
  ;(spec.certificatesSecrets ?? []).forEach((name, i) => {
    const field = fieldPath('spec', 'certificatesSecrets', i)
    const pair = attempt(field, () => loadCertificateSecret(ctx, namespace, name ?? '', field))
    if (pair !== undefined) certificates.push({ certFile: pair.cert, keyFile: pair.key })
  })

  const out: ServersTransport = {}
  if (spec.serverName) out.serverName = spec.serverName
  if (spec.insecureSkipVerify === true) out.insecureSkipVerify = true
  if (rootCAs.length > 0) out.rootCAs = rootCAs
  if (certificates.length > 0) out.certificates = certificates
  if (spec.maxIdleConnsPerHost) out.maxIdleConnsPerHost = spec.maxIdleConnsPerHost
  out.forwardingTimeouts = forwardingTimeouts(spec.forwardingTimeouts)
  if (spec.disableHTTP2 === true) out.disableHTTP2 = true
  if (spec.peerCertURI) out.peerCertURI = spec.peerCertURI
  if (Array.isArray(spec.peerCertSANs) && spec.peerCertSANs.length > 0) {
    out.peerCertSANs = spec.peerCertSANs.map((san) => ({ ...san }))
  }
  const spiffe = spec.spiffe
  if (spiffe !== undefined && spiffe !== null) {
    out.spiffe = {}
    if (Array.isArray(spiffe.ids) && spiffe.ids.length > 0) out.spiffe.ids = [...spiffe.ids]
    if (spiffe.trustDomain) out.spiffe.trustDomain = spiffe.trustDomain
  }
  Object.assign(out, tlsParameters(spec, warn))
  return out
}

function forwardingTimeouts(spec: ServersTransportSpec['forwardingTimeouts']): ForwardingTimeouts {
  const out: ForwardingTimeouts = {}
  for (const key of Object.keys(TIMEOUT_DEFAULTS_NS) as Array<keyof ForwardingTimeouts>) {
    const ns = durationOr(spec?.[key], fieldPath('spec', 'forwardingTimeouts', key), TIMEOUT_DEFAULTS_NS[key])
    if (ns !== 0) out[key] = formatDuration(ns)
  }
  return out
}

/** Cipher suites and versions as Traefik's provider filters them. */
function tlsParameters(spec: ServersTransportSpec, warn: Warn): Pick<ServersTransport, 'cipherSuites' | 'minVersion' | 'maxVersion'> {
  const out: Pick<ServersTransport, 'cipherSuites' | 'minVersion' | 'maxVersion'> = {}
  const suites = spec.cipherSuites ?? []
  if (suites.length > 0) {
    const unknown = suites.filter((s) => !KNOWN_CIPHER_SUITES.has(s))
    if (unknown.length === 0) out.cipherSuites = [...suites]
    else warn('spec.cipherSuites', `unknown cipher suite ${unknown.join(', ')}: the whole list is ignored`)
  }
  const version = (key: 'minVersion' | 'maxVersion'): string => {
    const v = spec[key] ?? ''
    if (v === '' || TLS_VERSIONS.includes(v)) return v
    warn(`spec.${key}`, `unknown TLS version "${v}" (${TLS_VERSIONS.join(', ')}): ignored`)
    return ''
  }
  let min = version('minVersion')
  let max = version('maxVersion')
  if (min !== '' && max !== '' && TLS_VERSIONS.indexOf(min) >= TLS_VERSIONS.indexOf(max)) {
    warn('spec.minVersion', `minVersion ${min} is not below maxVersion ${max}: ` + 'using minVersion VersionTLS12 and no maxVersion')
    min = 'VersionTLS12'
    max = ''
  }
  if (min !== '') out.minVersion = min
  if (max !== '') out.maxVersion = max
  return out
}
