/**
 * ipAllowList's configuration (and its alias ipWhiteList): the source ranges as Traefik's
 * checker reads them, the client address strategy, and the reject status with Go's text.
 *
 * @module
 */
import type { IPAllowList } from '../dynamic/types.ts'
import { GO_STATUS_TEXT } from '../http/status-text.ts'
import { Checker } from '../ip/checker.ts'
import { ipStrategy, type ClientIpStrategy } from '../ip/strategy.ts'
import { UnsupportedConfig } from './unsupported.ts'

export interface IPAllowListSettings {
  checker: Checker
  clientIp: ClientIpStrategy
  status: number
  /** Go's status text of `status`: the body of a rejection. */
  text: string
}

export function ipAllowListConfig(config: IPAllowList): IPAllowListSettings {
  if (!config?.sourceRange?.length) throw new Error('ipAllowList: sourceRange is empty')
  const status = config.rejectStatusCode || 403
  const text = GO_STATUS_TEXT[status]
  if (text === undefined) throw new Error(`ipAllowList.rejectStatusCode: invalid HTTP status code ${status}`)
  // A Response cannot carry an informational status: Traefik would write one, the edge cannot.
  if (status < 200) throw new UnsupportedConfig(`ipAllowList.rejectStatusCode: ${status} cannot be answered by the edge`)
  let checker: Checker
  try {
    checker = new Checker(config.sourceRange)
  } catch (err) {
    throw new Error(`ipAllowList.sourceRange: ${(err as Error).message}`)
  }
  return { checker, clientIp: ipStrategy(config.ipStrategy), status, text }
}
