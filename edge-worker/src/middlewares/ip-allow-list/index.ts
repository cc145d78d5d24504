/**
 * ipAllowList (and its deprecated alias ipWhiteList): only clients whose address (picked by
 * ipStrategy) is in sourceRange reach the next handler; others get rejectStatusCode (default
 * 403) with Go's status text as the body, no trailing newline.
 *
 * @module
 */
import type { IPAllowList } from '../../../../shared/dynamic/types.ts'
import { ipAllowListConfig } from '../../../../shared/middlewares/ip-allow-list.ts'
import type { Handler } from '../../request.ts'

export function ipAllowList(config: IPAllowList): (next: Handler) => Handler {
  const { checker, clientIp, status, text } = ipAllowListConfig(config)
  const nullBody = status === 204 || status === 205 || status === 304
  return (next) =>
    async function ipAllowList(req) {
      if (checker.isAuthorized(clientIp(req))) return next(req)
      return new Response(nullBody ? null : text, { status, headers: nullBody ? {} : { 'content-type': 'text/plain; charset=utf-8' } })
    }
}
