/**
 * What the dashboard and the diff never show: the middleware fields the publisher seals
 * (shared/secrets/format.ts' SEALED_FIELDS: basicAuth users, forwardAuth
 * TLS material...). They are replaced by a marker that says they are set.
 *
 * @module
 */
import { SEALED_FIELDS } from './format.ts'

export const REDACTED = '(secret, not shown)'

/** The configuration of a middleware of `type` with its secret fields replaced by REDACTED. */
export function redactMiddleware(type: string, config: unknown): unknown {
  const fields = SEALED_FIELDS[type]
  if (!fields || typeof config !== 'object' || config === null) return config
  const out: Record<string, unknown> = { ...(config as Record<string, unknown>) }
  for (const f of fields) if (out[f] !== undefined) out[f] = REDACTED
  return out
}

/**
 * A whole middleware of the dynamic configuration (`{basicAuth: {...}}`) with its secret fields
 * replaced, lists keeping their length (Traefik's API shape: `users` stays a list of strings).
 */
export function redactMiddlewareConfig(mw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...mw }
  for (const [type, fields] of Object.entries(SEALED_FIELDS)) {
    const config = out[type] as Record<string, unknown> | undefined
    if (typeof config !== 'object' || config === null) continue
    const copy = { ...config }
    for (const f of fields) if (copy[f] !== undefined) copy[f] = Array.isArray(copy[f]) ? (copy[f] as unknown[]).map(() => REDACTED) : REDACTED
    out[type] = copy
  }
  return out
}

/** Whether a field path inside a table middleware (`config.users[0]`) is secret. */
export function isSecretField(type: string, field: string): boolean {
  return (SEALED_FIELDS[type] ?? []).some((f) => field === `config.${f}` || field.startsWith(`config.${f}.`) || field.startsWith(`config.${f}[`))
}
