/**
 * ipAllowList (and its deprecated alias ipWhiteList): only clients whose address (picked by
 * ipStrategy) is in sourceRange reach the next handler; others get rejectStatusCode (default
 * 403) with Go's status text as the body, no trailing newline.
 *
 * @module
 */
import type { IPAllowList } from '../../../../shared/dynamic/types.ts'
import type { Handler } from '../../request.ts'
import { UnsupportedConfig } from '../toolkit/types.ts'
import { Checker } from '../../../../shared/ip/checker.ts'
import { GO_STATUS_TEXT } from '../../../../shared/http/status-text.ts'
import { ipStrategy } from '../../../../shared/ip/strategy.ts'

export function ipAllowList(config: IPAllowList): (next: Handler) => Handler {
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
  const clientIp = ipStrategy(config.ipStrategy)
  const nullBody = status === 204 || status === 205 || status === 304
  return (next) =>
    async function ipAllowList(req) {
      if (checker.isAuthorized(clientIp(req))) return next(req)
      return new Response(nullBody ? null : text, { status, headers: nullBody ? {} : { 'content-type': 'text/plain; charset=utf-8' } })
    }
}
