/**
 * Rules about a whole object that its CRD schema cannot state: the API server's name rules, and
 * Traefik's "one kind per object" rules, which its provider accepts silently but which fail or
 * surprise at runtime. Problems that the builders already report when they skip something are
 * not repeated here.
 *
 * @module
 */

import type { KubeObject } from '../snapshot/kube-types.ts'
import type { Problem } from './validate.ts'

// RFC 1123 subdomain, as the API server checks object names.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
// RFC 1123 label, as the API server checks namespace names.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const SERVICE_TYPES = ['weighted', 'mirroring', 'highestRandomWeight', 'failover']

export function objectRuleProblems(obj: KubeObject): Problem[] {
  const out: Problem[] = []
  metadataProblems(obj, out)
  const spec = obj.spec
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) return out
  const set = Object.keys(spec).filter((k) => (spec as Record<string, unknown>)[k] != null)
  if (obj.kind === 'Middleware') {
    if (set.length === 0) {
      out.push({
        field: 'spec',
        message: 'no middleware type is set: the middleware does nothing and ' + 'routers using it fail at runtime',
        severity: 'warning',
      })
    } else if (set.length > 1) {
      out.push({
        field: 'spec',
        message: `several middleware types are set (${set.join(', ')}): ` + 'Traefik refuses such a middleware at runtime; declare one Middleware per type',
        severity: 'warning',
      })
    }
  } else if (obj.kind === 'TraefikService') {
    const types = SERVICE_TYPES.filter((t) => set.includes(t))
    if (types.length > 1) {
      out.push({
        field: `spec.${types[1]}`,
        message: `ignored: ${types[0]} is also set and wins ` + `(order: ${SERVICE_TYPES.join(', ')})`,
        severity: 'warning',
      })
    }
  }
  return out
}

function metadataProblems(obj: KubeObject, out: Problem[]): void {
  const meta = obj.metadata
  const name = meta?.name
  if (typeof name === 'string' && name !== '') {
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      out.push({
        field: 'metadata.name',
        message: `"${name}" is not a valid name (lower-case ` + 'letters, digits, "-" and ".", starting and ending with a letter or digit)',
        severity: 'error',
      })
    }
  } else if (!meta?.generateName) {
    out.push({ field: 'metadata.name', message: 'required field is missing', severity: 'error' })
  }
  const ns = meta?.namespace
  if (typeof ns === 'string' && ns !== '' && (ns.length > 63 || !DNS_LABEL.test(ns))) {
    out.push({ field: 'metadata.namespace', message: `"${ns}" is not a valid namespace name`, severity: 'error' })
  }
}
