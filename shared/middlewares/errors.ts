/**
 * The errors middleware's configuration: the statuses it catches, the status rewrites and the
 * page service's name (the edge also needs that service in its table).
 *
 * @module
 */
import type { ErrorPage } from '../dynamic/types.ts'
import { parseStatusRanges, type StatusRanges } from '../http/status-ranges.ts'

export interface ErrorsSettings {
  ranges: StatusRanges
  rewrites: Array<{ ranges: StatusRanges; to: number }>
}

export function errorsConfig(config: ErrorPage): ErrorsSettings {
  let ranges: StatusRanges
  try {
    ranges = parseStatusRanges(config?.status ?? [])
  } catch (err) {
    throw new Error(`errors.status: ${(err as Error).message}`)
  }
  const rewrites: Array<{ ranges: StatusRanges; to: number }> = []
  for (const [key, to] of Object.entries(config?.statusRewrites ?? {})) {
    try {
      rewrites.push({ ranges: parseStatusRanges([key]), to })
    } catch (err) {
      throw new Error(`errors.statusRewrites: ${(err as Error).message}`)
    }
  }
  if (!config?.service) throw new Error('errors.service: no error page service given')
  return { ranges, rewrites }
}
