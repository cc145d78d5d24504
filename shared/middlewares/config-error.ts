/**
 * Configurations the edge would refuse to build, found when the table is built: the route then
 * carries the error (500, as the edge would answer) and the diagnostic names the middleware and
 * why, instead of the first request finding out. Checked by building the edge's own middleware
 * (only factories without side effects are listed here), so both sides cannot disagree.
 *
 * @module
 */
import { basicAuth } from '../../edge-worker/src/middlewares/basic-auth/index.ts'
import { buffering } from '../../edge-worker/src/middlewares/buffering/index.ts'
import { circuitBreaker } from '../../edge-worker/src/middlewares/circuit-breaker/index.ts'
import { compress } from '../../edge-worker/src/middlewares/compress/index.ts'
import { digestAuth } from '../../edge-worker/src/middlewares/digest-auth/index.ts'
import { forwardAuth } from '../../edge-worker/src/middlewares/forward-auth/index.ts'
import { headers } from '../../edge-worker/src/middlewares/headers/index.ts'
import { inFlightReq } from '../../edge-worker/src/middlewares/in-flight-req/index.ts'
import { ipAllowList } from '../../edge-worker/src/middlewares/ip-allow-list/index.ts'
import { rateLimit } from '../../edge-worker/src/middlewares/rate-limit/index.ts'
import { redirectRegex } from '../../edge-worker/src/middlewares/redirect-regex/index.ts'
import { redirectScheme } from '../../edge-worker/src/middlewares/redirect-scheme/index.ts'
import { replacePathRegex } from '../../edge-worker/src/middlewares/replace-path-regex/index.ts'
import { retry } from '../../edge-worker/src/middlewares/retry/index.ts'
import { stripPrefixRegex } from '../../edge-worker/src/middlewares/strip-prefix-regex/index.ts'
import { UnsupportedConfig } from './unsupported.ts'

type Factory = (config: never, context: never) => unknown

const CHECKED: Record<string, Factory> = {
  basicAuth, buffering, circuitBreaker, digestAuth, forwardAuth, headers, inFlightReq, ipAllowList, ipWhiteList: ipAllowList, rateLimit, retry,
  compress, redirectRegex, redirectScheme, replacePathRegex, stripPrefixRegex,
}

const context = { name: 'check', edge: { target: 'workerd', env: {}, log: () => {} } }

/** Why the edge would refuse this configuration (answering 500), or null. */
export function middlewareConfigError(type: string, config: unknown): string | null {
  const factory = CHECKED[type]
  if (!factory || (typeof config === 'object' && config !== null && 'sealed' in config)) return null
  try {
    factory(config as never, context as never)
    return null
  } catch (err) {
    // What the edge cannot honour is reported (and answered 501) through capabilities.ts.
    return err instanceof UnsupportedConfig ? null : (err as Error).message
  }
}
