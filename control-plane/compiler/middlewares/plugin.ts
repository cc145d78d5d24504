/**
 * Plugin middlewares: their free-form configuration is copied, and every string of the form
 * `urn:k8s:secret:<secretName>:<key>` (at any depth, in maps and arrays) is replaced by that
 * Secret value from the Middleware's namespace (pkg/provider/kubernetes/crd/kubernetes.go's
 * createPluginMiddleware).
 *
 * @module
 */

import type { PluginConf } from '../../../shared/dynamic/types.ts'
import type { CompileContext } from '../context.ts'
import { FieldError, fieldPath } from '../diagnostics/diagnostics.ts'
import { requireSecret, secretData } from '../tls/secret-material.ts'

const SECRET_URN_PREFIX = 'urn:k8s:secret:'

export function plugins(ctx: CompileContext, namespace: string, spec: Record<string, unknown>): Record<string, PluginConf> {
  const out: Record<string, PluginConf> = {}
  for (const [name, conf] of Object.entries(spec)) {
    const field = fieldPath('spec.plugin', name)
    if (conf === null || conf === undefined) {
      out[name] = {}
      continue
    }
    if (typeof conf !== 'object' || Array.isArray(conf)) {
      throw new FieldError(field, 'a plugin configuration must be a map')
    }
    out[name] = resolveSecrets(ctx, namespace, conf, field) as PluginConf
  }
  return out
}

function resolveSecrets(ctx: CompileContext, namespace: string, value: unknown, field: string): unknown {
  if (typeof value === 'string') {
    return value.startsWith(SECRET_URN_PREFIX) ? secretValue(ctx, namespace, value, field) : value
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(ctx, namespace, v, `${field}[${i}]`))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = resolveSecrets(ctx, namespace, v, fieldPath(field, k))
    return out
  }
  return value
}

function secretValue(ctx: CompileContext, namespace: string, urn: string, field: string): string {
  const parts = urn.split(':')
  if (parts.length !== 5 || parts[3] === '' || parts[4] === '') {
    throw new FieldError(field, `malformed secret reference "${urn}": expected urn:k8s:secret:<name>:<key>`)
  }
  const [, , , name, key] = parts as [string, string, string, string, string]
  const value = secretData(requireSecret(ctx, namespace, name, field)).get(key)
  if (value === undefined) throw new FieldError(field, `secret ${namespace}/${name} has no key "${key}"`)
  return value
}
