/**
 * The client TLS block of forwardAuth and of the rate limiter's Redis: CA and client
 * certificate named by Secrets in the Middleware's namespace, turned into PEM contents.
 *
 * @module
 */

import type { ClientTLS } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import type { ClientTLSSpec } from '../crd/types.ts'
import { fieldPath } from '../diagnostics/diagnostics.ts'
import { loadCASecret, loadCertificateSecret } from '../tls/secret-material.ts'

/** Throws a FieldError when a named Secret is missing or lacks its keys. */
export function clientTLS(ctx: CompileContext, namespace: string, spec: ClientTLSSpec, field: string): ClientTLS {
  const out: ClientTLS = {}
  if (spec.caSecret) out.ca = loadCASecret(ctx, namespace, spec.caSecret, fieldPath(field, 'caSecret'))
  if (spec.certSecret) {
    const pair = loadCertificateSecret(ctx, namespace, spec.certSecret, fieldPath(field, 'certSecret'))
    out.cert = pair.cert
    out.key = pair.key
  }
  if (spec.insecureSkipVerify === true) out.insecureSkipVerify = true
  if (spec.caOptional === true) out.caOptional = true
  return out
}
