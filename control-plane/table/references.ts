/**
 * Names in the dynamic configuration refer to its keys, possibly qualified with a provider
 * (`default-auth@kubernetescrd`). The edge holds this provider's objects and Traefik's internal
 * services that it serves itself (`api@internal`...).
 *
 * @module
 */

const PROVIDER = 'kubernetescrd'

/** Traefik's internal services the edge serves (edge-worker/src/service/internal.ts). */
export const INTERNAL_SERVICES: Readonly<Record<string, 'api' | 'dashboard' | 'noop'>> = {
  'api@internal': 'api',
  'dashboard@internal': 'dashboard',
  'noop@internal': 'noop',
}

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

/** A reference as Traefik resolves it from this provider's objects: qualified unless it names a provider. */
export function qualify(reference: string): string {
  return reference.includes('@') ? reference : qualifiedName(reference)
}

/**
 * Why `reference` cannot be resolved, in Traefik's words (`the service "x@kubernetescrd" does
 * not exist`, `middleware "x@file" does not exist`), and, for another provider's name, that the
 * edge has none of it.
 */
export function unresolved(what: 'service' | 'middleware' | 'serversTransport', reference: string): string {
  const name = qualify(reference)
  const words =
    what === 'service'
      ? `the service ${JSON.stringify(name)} does not exist`
      : what === 'middleware'
        ? `middleware ${JSON.stringify(name)} does not exist`
        : `servers transport not found ${name}`
  const provider = name.slice(name.lastIndexOf('@') + 1)
  if (provider === PROVIDER) return words
  if (provider === 'internal') return `${words} (the edge serves ${Object.keys(INTERNAL_SERVICES).join(', ')})`
  return `${words} (the edge has no ${JSON.stringify(provider)} provider: only kubernetescrd and internal)`
}
