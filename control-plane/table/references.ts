/**
 * Names in the dynamic configuration refer to its keys, possibly qualified with a provider
 * (`default-auth@kubernetescrd`). The edge only ever holds this provider's objects.
 *
 * @module
 */

const PROVIDER = 'kubernetescrd'

/** The key a reference names, or null when it names another provider's object (`x@file`). */
export function localKey(reference: string): string | null {
  const at = reference.lastIndexOf('@')
  if (at === -1) return reference
  return reference.slice(at + 1) === PROVIDER ? reference.slice(0, at) : null
}

/** The name Traefik uses at run time (e.g. in the default sticky cookie name). */
export function qualifiedName(key: string): string {
  return `${key}@${PROVIDER}`
}

/** Explains why `reference` cannot be resolved. */
export function unresolved(what: string, reference: string): string {
  return localKey(reference) === null
    ? `${what} ${JSON.stringify(reference)} belongs to another provider, which the edge does not have`
    : `${what} ${JSON.stringify(reference)} does not exist`
}
