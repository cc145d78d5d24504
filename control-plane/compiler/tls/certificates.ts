/**
 * `tls.certificates`: every certificate Secret named by a TLSStore or an IngressRoute, once per
 * `"<namespace>/<secretName>"` (pkg/provider/kubernetes/crd/kubernetes.go's
 * loadConfigurationFromCRD and pkg/provider/kubernetes/crd/kubernetes_http.go's getTLSHTTP). The first writer of a key wins;
 * TLSStores run first, so their `stores` list is the one kept. The compiler's `finish` emits the
 * map sorted by key.
 *
 * @module
 */

import type { CertAndStores } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { IngressRoute } from '../crd/types.ts'
import type { ObjectRef } from '../diagnostics/diagnostics.ts'
import { namespaceOf } from '../snapshot/snapshot.ts'
import { loadCertificateSecret } from './secret-material.ts'

/** Adds the Secret's certificate unless its key is already there. Throws a FieldError at `field`. */
export function addCertificate(ctx: CompileContext, namespace: string, secretName: string, field: string, stores?: string[]): void {
  const key = `${namespace}/${secretName}`
  if (ctx.tlsCertificates.has(key)) return
  const { cert, key: privateKey } = loadCertificateSecret(ctx, namespace, secretName, field)
  const entry: CertAndStores = { certFile: cert, keyFile: privateKey }
  if (stores !== undefined) entry.stores = stores
  ctx.tlsCertificates.set(key, entry)
}

/**
 * An IngressRoute's `tls.secretName` (Traefik's `getTLSHTTP`): the certificate lands in the
 * default store. A Secret that cannot be loaded is reported and the routes stay. Meant as the
 * `onTLS` hook of `buildIngressRoutes`.
 */
export function loadIngressRouteTLS(ctx: CompileContext, ir: IngressRoute, ref: ObjectRef): void {
  const secretName = ir.spec?.tls?.secretName
  if (!secretName) return
  try {
    addCertificate(ctx, namespaceOf(ir), secretName, 'spec.tls.secretName')
  } catch (err) {
    ctx.diagnostics.fromError(ref, err, 'spec.tls.secretName', 'certificate not loaded; the routes are kept')
  }
}
