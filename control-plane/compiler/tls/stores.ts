/**
 * TLSStore objects to `tls.stores`, and their certificates to `tls.certificates` (Traefik's
 * `buildTLSStores`,
 * pkg/provider/kubernetes/crd/kubernetes.go). Runs before the IngressRoutes, so a certificate named by
 * a store keeps that store's name when a route names the same Secret.
 *
 * @module
 */

import type { TLSStore as TLSStoreConfig } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { TLSStore } from '../crd/types.ts'
import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import { namespaceOf } from '../snapshot/snapshot.ts'
import { addCertificate } from './certificates.ts'
import { loadCertificateSecret } from './secret-material.ts'
import { dropAmbiguousDefault, tlsObjectID } from './tls-id.ts'

/** Fills `ctx.config.tls.stores`; left undefined when there is no TLSStore at all. */
export function buildTLSStores(ctx: CompileContext): void {
  const objects = ctx.index.tlsStores
  if (objects.length === 0) return
  const stores: Record<string, TLSStoreConfig> = {}
  for (const obj of objects) {
    try {
      const id = tlsObjectID(obj)
      stores[id] = buildTLSStore(ctx, obj, id)
    } catch (err) {
      ctx.diagnostics.fromError(ctx.index.ref(obj), err, 'spec', 'TLSStore skipped')
    }
  }
  dropAmbiguousDefault(ctx, objects, stores, 'TLSStore')
  ctx.config.tls.stores = stores
}

function buildTLSStore(ctx: CompileContext, obj: TLSStore, id: string): TLSStoreConfig {
  const spec = obj.spec ?? {}
  const namespace = namespaceOf(obj)
  const out: TLSStoreConfig = {}

  const defaultCert = spec.defaultCertificate
  if (defaultCert !== undefined && defaultCert !== null) {
    // A store whose default certificate cannot be loaded is dropped whole, certificates included.
    const field = 'spec.defaultCertificate.secretName'
    if (!defaultCert.secretName) throw new FieldError(field, 'no secret name given')
    const { cert, key } = loadCertificateSecret(ctx, namespace, defaultCert.secretName, field)
    out.defaultCertificate = { certFile: cert, keyFile: key }
  }

  const generated = spec.defaultGeneratedCert
  if (generated !== undefined && generated !== null) {
    out.defaultGeneratedCert = {}
    if (generated.resolver) out.defaultGeneratedCert.resolver = generated.resolver
    const domain = generated.domain
    if (domain !== undefined && domain !== null) {
      out.defaultGeneratedCert.domain = {}
      if (domain.main) out.defaultGeneratedCert.domain.main = domain.main
      if (Array.isArray(domain.sans) && domain.sans.length > 0) {
        out.defaultGeneratedCert.domain.sans = [...domain.sans]
      }
    }
  }

  const ref = ctx.index.ref(obj)
  ;(spec.certificates ?? []).forEach((c, i) => {
    const field = fieldPath('spec', 'certificates', i, 'secretName')
    try {
      addCertificate(ctx, namespace, c?.secretName ?? '', field, [id])
    } catch (err) {
      ctx.diagnostics.fromError(ref, err, field, 'certificate skipped')
    }
  })
  return out
}
