/**
 * inFlightReq's configuration: the amount (a whole number; 0 or less refuses every request, as
 * oxy does) and the source criterion (default: the request's Host).
 *
 * @module
 */
import type { InFlightReq } from '../dynamic/types.ts'
import { sourceExtractor, type SourceExtractor } from './source-criterion.ts'

export interface InFlightReqSettings {
  amount: number
  source: SourceExtractor
}

export function inFlightReqConfig(config: InFlightReq): InFlightReqSettings {
  const amount = config?.amount ?? 0
  if (!Number.isInteger(amount)) throw new Error(`inFlightReq.amount: ${amount} is not a whole number of requests`)
  return { amount, source: sourceExtractor('inFlightReq', config?.sourceCriterion, { requestHost: true }) }
}
