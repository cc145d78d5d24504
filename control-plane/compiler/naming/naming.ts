/**
 * Names Traefik's CRD provider gives to routers, services and other objects (pkg/provider/kubernetes/crd/kubernetes.go's
 * makeID, pkg/provider/kubernetes/crd/kubernetes_http.go).
 * They must match Traefik's byte for byte: users and dashboards refer to them.
 *
 * @module
 */

import { createHash } from 'node:crypto'

const SEPARATORS = /[^\p{L}\p{Nd}]+/u
/** Already normalized ASCII: the common case, answered without splitting. */
const NORMALIZED_ASCII = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/

/**
 * Traefik's `provider.Normalize`: every run of characters that are neither a Unicode letter nor
 * a decimal digit becomes one `-`; leading and trailing runs disappear.
 */
export function normalize(name: string): string {
  if (NORMALIZED_ASCII.test(name)) return name
  const parts = name.split(SEPARATORS)
  let out = ''
  for (const p of parts) {
    if (p === '') continue
    out = out === '' ? p : `${out}-${p}`
  }
  return out
}

/** `ns-name`, or `name` alone when the namespace is empty. Not normalized. */
export function makeID(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}-${name}`
}

/** Hashes by match, kept across compiles: a recompile after one change hashes one rule. */
const matchHashes = new Map<string, string>()
// Bounded low: the incremental pipeline hashes only changed routes; full rebuilds (file mode) are what it serves.
const MAX_MATCH_HASHES = 20_000

/** First 10 bytes of sha256(match), as 20 lowercase hex characters. */
export function matchHash(match: string): string {
  let hash = matchHashes.get(match)
  if (hash === undefined) {
    hash = createHash('sha256').update(match).digest('hex').slice(0, 20)
    if (matchHashes.size >= MAX_MATCH_HASHES) matchHashes.clear()
    matchHashes.set(match, hash)
  }
  return hash
}

/** Key of the router (and of its single-service LB) for one IngressRoute route. */
export function routerKey(namespace: string, ingressName: string, match: string): string {
  return normalize(makeID(namespace, `${ingressName}-${matchHash(match)}`))
}

/** Key of a Kubernetes Service reference: the port as written (number or name). */
export function kubeServiceKey(namespace: string, name: string, port: string | number): string {
  return normalize(`${namespace}-${name}-${port}`)
}

/** Provider suffix Traefik appends to every name this provider emits. */
export const PROVIDER_NAME = 'kubernetescrd'

/**
 * Splits `name@provider` on the last `@`; `provider` is undefined when there is none.
 */
export function splitProvider(name: string): { name: string; provider?: string } {
  const at = name.lastIndexOf('@')
  if (at < 0) return { name }
  return { name: name.slice(0, at), provider: name.slice(at + 1) }
}

/**
 * Key of a TraefikService reference. `x@kubernetescrd` is local (with the literal namespace,
 * often empty); another provider keeps its suffix and ignores the namespace.
 */
export function traefikServiceKey(namespace: string, name: string): string {
  const { name: base, provider } = splitProvider(name)
  if (provider === undefined) return normalize(`${namespace}-${name}`)
  if (provider === PROVIDER_NAME) return normalize(`${namespace}-${base}`)
  return `${normalize(base)}@${provider}`
}
