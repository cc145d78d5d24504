/**
 * TLSOption objects to `tls.options` (Traefik's `buildTLSOptions`,
 * pkg/provider/kubernetes/crd/kubernetes.go).
 * Nothing is validated here, as in Traefik's provider: versions and cipher names are checked by
 * the TLS layer that uses them. A client-auth CA that cannot be read is skipped alone.
 *
 * @module
 */

import type { TLSOptions } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { TLSOption } from '../crd/types.ts'
import { fieldPath } from '../diagnostics/diagnostics.ts'
import { namespaceOf } from '../snapshot/snapshot.ts'
import { loadClientAuthCA } from './secret-material.ts'
import { dropAmbiguousDefault, tlsObjectID } from './tls-id.ts'

/** `Options.SetDefaults()`: these ALPN protocols. */
export const DEFAULT_ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1', 'acme-tls/1']

/**
 * `Options.SetDefaults()`: the names of Go's `crypto/tls.CipherSuites()` in the Go version of
 * the Traefik release the conformance data comes from (case `TLS with unknown tls options`).
 */
export const DEFAULT_CIPHER_SUITES: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
]

/** Fills `ctx.config.tls.options`; left undefined when there is no TLSOption at all. */
export function buildTLSOptions(ctx: CompileContext): void {
  const objects = ctx.index.tlsOptions
  if (objects.length === 0) return
  const options: Record<string, TLSOptions> = {}
  for (const obj of objects) {
    try {
      options[tlsObjectID(obj)] = buildTLSOption(ctx, obj)
    } catch (err) {
      ctx.diagnostics.fromError(ctx.index.ref(obj), err, 'spec', 'TLSOption skipped')
    }
  }
  dropAmbiguousDefault(ctx, objects, options, 'TLSOption')
  ctx.config.tls.options = options
}

function buildTLSOption(ctx: CompileContext, obj: TLSOption): TLSOptions {
  const spec = obj.spec ?? {}
  const ref = ctx.index.ref(obj)
  const namespace = namespaceOf(obj)
  const out: TLSOptions = {}
  if (spec.minVersion) out.minVersion = spec.minVersion
  if (spec.maxVersion) out.maxVersion = spec.maxVersion
  out.cipherSuites = nonEmpty(spec.cipherSuites) ?? [...DEFAULT_CIPHER_SUITES]
  if (nonEmpty(spec.curvePreferences)) out.curvePreferences = [...spec.curvePreferences!]

  const auth = spec.clientAuth
  if (auth !== undefined && auth !== null) {
    const caFiles: string[] = []
    ;(auth.secretNames ?? []).forEach((secretName, i) => {
      const field = fieldPath('spec', 'clientAuth', 'secretNames', i)
      try {
        caFiles.push(loadClientAuthCA(ctx, namespace, secretName ?? '', field))
      } catch (err) {
        ctx.diagnostics.fromError(ref, err, field, 'CA skipped')
      }
    })
    out.clientAuth = {}
    if (caFiles.length > 0) out.clientAuth.caFiles = caFiles
    if (auth.clientAuthType) out.clientAuth.clientAuthType = auth.clientAuthType
  }
  if (spec.sniStrict === true) out.sniStrict = true
  out.alpnProtocols = nonEmpty(spec.alpnProtocols) ?? [...DEFAULT_ALPN_PROTOCOLS]
  if (spec.disableSessionTickets === true) out.disableSessionTickets = true
  if (spec.preferServerCipherSuites !== undefined) {
    ctx.diagnostics.warn(ref, 'spec.preferServerCipherSuites', 'deprecated and ignored')
  }
  return out
}

function nonEmpty(list: readonly string[] | undefined | null): string[] | undefined {
  return Array.isArray(list) && list.length > 0 ? [...list] : undefined
}
