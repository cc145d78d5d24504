/**
 * Certificates, keys and CAs read from Secrets and ConfigMaps, with Traefik's key rules
 * (Traefik's getCABlocks and
 * getCertificateBlocks, pkg/provider/kubernetes/crd/kubernetes.go). Used by TLS options and
 * stores, IngressRoute TLS, ServersTransports, forwardAuth and the rate limiter's Redis.
 *
 * Traefik reads only a Secret's base64 `data` (never `stringData`). Every failure throws a
 * FieldError at the field that names the Secret, so the caller decides what is skipped.
 *
 * @module
 */

import type { CompileContext } from '../context.ts'
import { FieldError } from '../diagnostics/diagnostics.ts'
import type { Secret } from '../snapshot/kube-types.ts'

export interface CertAndKey {
  cert: string
  key: string
}

const CA_KEYS = ['tls.ca', 'ca.crt'] as const

/** The decoded `data` of a Secret (empty when it has none). */
export function secretData(secret: Secret): Map<string, string> {
  const out = new Map<string, string>()
  const data = secret.data
  if (data === null || typeof data !== 'object') return out
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === undefined) continue
    out.set(k, Buffer.from(String(v), 'base64').toString('utf8'))
  }
  return out
}

/** The Secret `namespace/name`, or a FieldError saying why it cannot be read. */
export function requireSecret(ctx: CompileContext, namespace: string, name: string, field: string): Secret {
  if (name === '') throw new FieldError(field, 'no secret name given')
  const secret = ctx.index.secret(namespace, name)
  if (secret === undefined) throw new FieldError(field, ctx.index.missing('Secret', namespace, name))
  return secret
}

/**
 * A CA from a Secret: `tls.ca`, then `ca.crt`, else the value of the only key when there is
 * exactly one (Traefik keeps that for older secrets such as `{ca: ...}`).
 */
export function loadCASecret(ctx: CompileContext, namespace: string, name: string, field: string): string {
  const data = secretData(requireSecret(ctx, namespace, name, field))
  const ca = caOf(data)
  if (ca !== undefined) return ca
  if (data.size === 1) return [...data.values()][0]!
  throw new FieldError(field, `secret ${namespace}/${name} holds no CA: expected a tls.ca or ca.crt ` + `key (or a single key), found ${keyList(data)}`)
}

/** A CA from a Secret for TLS client authentication: `tls.ca` or `ca.crt`, no fallback. */
export function loadClientAuthCA(ctx: CompileContext, namespace: string, name: string, field: string): string {
  const data = secretData(requireSecret(ctx, namespace, name, field))
  const ca = caOf(data)
  if (ca !== undefined) return ca
  throw new FieldError(field, `secret ${namespace}/${name} holds no CA: expected a tls.ca or ca.crt key, ` + `found ${keyList(data)}`)
}

/** A CA from a ConfigMap's plain `data`: `tls.ca` or `ca.crt`. */
export function loadCAConfigMap(ctx: CompileContext, namespace: string, name: string, field: string): string {
  if (name === '') throw new FieldError(field, 'no config map name given')
  const cm = ctx.index.configMap(namespace, name)
  if (cm === undefined) throw new FieldError(field, ctx.index.missing('ConfigMap', namespace, name))
  const data = new Map<string, string>()
  for (const [k, v] of Object.entries(cm.data ?? {})) if (v !== null && v !== undefined) data.set(k, String(v))
  const ca = caOf(data)
  if (ca !== undefined) return ca
  throw new FieldError(field, `config map ${namespace}/${name} holds no CA: expected a tls.ca or ca.crt ` + `key, found ${keyList(data)}`)
}

/** A certificate and its key from a Secret's `tls.crt` and `tls.key`, both non-empty. */
export function loadCertificateSecret(ctx: CompileContext, namespace: string, name: string, field: string): CertAndKey {
  const data = secretData(requireSecret(ctx, namespace, name, field))
  const cert = data.get('tls.crt') ?? ''
  const key = data.get('tls.key') ?? ''
  const missing = [cert === '' ? 'tls.crt' : '', key === '' ? 'tls.key' : ''].filter((k) => k !== '')
  if (missing.length > 0) {
    throw new FieldError(field, `secret ${namespace}/${name} has no ${missing.join(' and ')} ` + '(both are needed, non-empty)')
  }
  return { cert, key }
}

function caOf(data: ReadonlyMap<string, string>): string | undefined {
  for (const k of CA_KEYS) {
    const v = data.get(k)
    if (v !== undefined && v !== '') return v
  }
  return undefined
}

function keyList(data: ReadonlyMap<string, string>): string {
  return data.size === 0 ? 'no data' : `keys ${[...data.keys()].join(', ')}`
}
