/**
 * Kubernetes structural schemas to JSON Schema as ajv reads it, with the Kubernetes extensions
 * given their API-server meaning:
 * - fields not declared under `properties` are unknown (`additionalProperties: false`), unless
 *   the node says `x-kubernetes-preserve-unknown-fields` (plugin configuration does);
 * - `x-kubernetes-int-or-string` accepts an integer or a string;
 * - `x-kubernetes-validations` (CEL rules) stays as a keyword that `./cel-rules.ts` evaluates.
 * Descriptions are dropped: they only cost compile time.
 *
 * @module
 */

import type { KubeSchema } from './crd-schemas.ts'

export type JSONSchema = Record<string, unknown>

export function toJSONSchema(node: KubeSchema): JSONSchema {
  const out: JSONSchema = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description') continue
    if (k === 'properties') {
      const props: Record<string, JSONSchema> = {}
      for (const [name, child] of Object.entries(v as Record<string, KubeSchema>)) {
        props[name] = toJSONSchema(child)
      }
      out[k] = props
    } else if ((k === 'items' || k === 'additionalProperties') && v !== null && typeof v === 'object') {
      out[k] = toJSONSchema(v as KubeSchema)
    } else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') {
      out[k] = (v as KubeSchema[]).map(toJSONSchema)
    } else {
      out[k] = v
    }
  }
  if (node['x-kubernetes-int-or-string'] === true && node.anyOf === undefined) {
    out.anyOf = [{ type: 'integer' }, { type: 'string' }]
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true
  if (node.properties !== undefined && node.additionalProperties === undefined && !preserve) {
    out.additionalProperties = false
  }
  return out
}

/**
 * The object as the API server validates it: object fields whose value is null are pruned
 * first (none of Traefik's CRD fields is `nullable`), so `tls:` left empty in YAML means unset.
 */
export function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneNulls)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (v !== null) out[k] = pruneNulls(v)
  }
  return out
}
