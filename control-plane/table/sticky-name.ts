// Traefik's sticky cookie name: the configured one with characters outside RFC 2616 tokens
// replaced by `_`, or by default `_` + the first 5 hex characters of SHA-1 of
// `_TRAEFIK_BACKEND_<qualified service name>`.
import { createHash } from 'node:crypto'
import { qualifiedName } from './references.ts'

export function stickyCookieName(configured: string | undefined, serviceKey: string): string {
  if (configured) return configured.replace(/[^A-Za-z0-9!#$%&'*+\-.^`|~]/gu, '_')
  const hex = createHash('sha1')
    .update(`_TRAEFIK_BACKEND_${qualifiedName(serviceKey)}`)
    .digest('hex')
  return `_${hex}`.slice(0, 6)
}
