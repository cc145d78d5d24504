/**
 * The OpenAPI v3 schemas of Traefik's CRDs, read from a CustomResourceDefinition manifest
 * (the multi-document `kubernetes-crd-definition-v1.yml` Traefik ships). Pure: text in,
 * schemas out; reading the file is `./load-crds.ts`'s job.
 *
 * @module
 */

import { parseAllDocuments } from 'yaml'

/** A Kubernetes structural schema node (the subset of OpenAPI v3 Kubernetes allows). */
export interface KubeSchema {
  type?: string
  properties?: Record<string, KubeSchema>
  additionalProperties?: KubeSchema | boolean
  items?: KubeSchema
  required?: string[]
  anyOf?: KubeSchema[]
  enum?: unknown[]
  'x-kubernetes-int-or-string'?: boolean
  'x-kubernetes-preserve-unknown-fields'?: boolean
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string }>
  [keyword: string]: unknown
}

/** One CRD version's schema, keyed by `group/version` and kind. */
export interface CRDSchema {
  group: string
  version: string
  kind: string
  schema: KubeSchema
}

interface CRDDocument {
  kind?: string
  spec?: {
    group?: string
    names?: { kind?: string }
    versions?: Array<{ name?: string; served?: boolean; schema?: { openAPIV3Schema?: KubeSchema } }>
  }
}

/** `traefik.io/v1alpha1/Middleware` */
export function schemaKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`
}

/**
 * Every served version of every CRD in the manifest text, keyed by {@link schemaKey}.
 * Throws when the text is not YAML or holds no CRD: the product cannot validate without them.
 */
export function parseCRDSchemas(text: string, source = 'CRD manifest'): Map<string, CRDSchema> {
  const out = new Map<string, CRDSchema>()
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length > 0) {
      throw new Error(`${source}: ${doc.errors[0]!.message}`)
    }
    const crd = doc.toJS() as CRDDocument | null
    if (crd?.kind !== 'CustomResourceDefinition') continue
    const group = crd.spec?.group ?? ''
    const kind = crd.spec?.names?.kind ?? ''
    for (const v of crd.spec?.versions ?? []) {
      const schema = v.schema?.openAPIV3Schema
      if (v.served === false || schema === undefined || !v.name) continue
      out.set(schemaKey(`${group}/${v.name}`, kind), { group, version: v.name, kind, schema })
    }
  }
  if (out.size === 0) throw new Error(`${source}: no CustomResourceDefinition with a schema`)
  return out
}
