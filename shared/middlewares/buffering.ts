/**
 * buffering's configuration (oxy buffer, as Traefik reads it): byte limits (0: none) and the
 * retry expression.
 *
 * @module
 */
import { parseRetryExpression } from '../circuit-breaker/functions.ts'
import type { Buffering } from '../dynamic/types.ts'

export interface BufferingSettings {
  maxRequest: number
  maxResponse: number
  /** Whether to send the request again after this attempt (retryExpression), or null. */
  again: ReturnType<typeof parseRetryExpression> | null
}

function bytes(config: Buffering, field: keyof Buffering): number {
  const v = (config?.[field] as number | undefined) ?? 0
  if (!Number.isInteger(v) || v < 0) throw new Error(`buffering.${field}: ${v} must be a number of bytes >= 0`)
  return v
}

export function bufferingConfig(config: Buffering): BufferingSettings {
  const maxRequest = bytes(config, 'maxRequestBodyBytes')
  const maxResponse = bytes(config, 'maxResponseBodyBytes')
  bytes(config, 'memRequestBodyBytes')
  bytes(config, 'memResponseBodyBytes')
  let again: ReturnType<typeof parseRetryExpression> | null = null
  if (config?.retryExpression) {
    try {
      again = parseRetryExpression(config.retryExpression)
    } catch (err) {
      throw new Error(`buffering.retryExpression: ${(err as Error).message}`)
    }
  }
  return { maxRequest, maxResponse, again }
}
