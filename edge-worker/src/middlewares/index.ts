/**
 * The middleware pipeline: a router's (or a service's) middlewares in order in front of a handler.
 *
 * A middleware is a factory from Traefik's configuration of its type to a wrapper of the next
 * handler (one folder each; what several share is in ./toolkit, never in another middleware's
 * folder). Its configuration is read and checked by its shared/middlewares module, the code the
 * control plane checks tables with. Adding one to the edge is adding it to MIDDLEWARES (and to
 * shared/table's EDGE_MIDDLEWARES, which the control plane checks against). A type the edge lacks, or a
 * configuration it cannot honour, makes the chain answer 501; a configuration that cannot be
 * built answers 500. Never a chain that silently skips a middleware.
 *
 * @module
 */
import { UNIMPLEMENTED_MIDDLEWARE_STATUS, type EdgeMiddlewareType } from '../../../shared/table/capabilities.ts'
import type { PreparedMiddleware } from '../../../shared/table/view.ts'
import { httpError, type Handler } from '../request.ts'
import { addPrefix } from './add-prefix/index.ts'
import { basicAuth } from './basic-auth/index.ts'
import { digestAuth } from './digest-auth/index.ts'
import { encodedCharacters } from './encoded-characters/index.ts'
import { errors } from './errors/index.ts'
import { forwardAuth } from './forward-auth/index.ts'
import { buffering } from './buffering/index.ts'
import { circuitBreaker } from './circuit-breaker/index.ts'
import { compress } from './compress/index.ts'
import { contentType } from './content-type/index.ts'
import { headers } from './headers/index.ts'
import { inFlightReq } from './in-flight-req/index.ts'
import { ipAllowList } from './ip-allow-list/index.ts'
import { passTLSClientCert } from './pass-tls-client-cert/index.ts'
import { rateLimit } from './rate-limit/index.ts'
import { redirectRegex } from './redirect-regex/index.ts'
import { redirectScheme } from './redirect-scheme/index.ts'
import { replacePath } from './replace-path/index.ts'
import { replacePathRegex } from './replace-path-regex/index.ts'
import { retry } from './retry/index.ts'
import { stripPrefix } from './strip-prefix/index.ts'
import { stripPrefixRegex } from './strip-prefix-regex/index.ts'
import { UnsupportedConfig, type EdgeContext, type Middleware, type MiddlewareFactory } from './toolkit/types.ts'

export type { EdgeContext, Middleware, MiddlewareContext, MiddlewareFactory } from './toolkit/types.ts'

export const MIDDLEWARES: Record<EdgeMiddlewareType, MiddlewareFactory> = {
  addPrefix,
  basicAuth,
  digestAuth,
  errors,
  forwardAuth,
  buffering,
  circuitBreaker,
  compress,
  contentType,
  encodedCharacters,
  headers,
  inFlightReq,
  ipAllowList,
  ipWhiteList: ipAllowList,
  passTLSClientCert,
  rateLimit,
  redirectRegex,
  redirectScheme,
  replacePath,
  replacePathRegex,
  retry,
  stripPrefix,
  stripPrefixRegex,
}

/**
 * Types that never write a hop-by-hop header, Upgrade or X-Forwarded-For (path rewriters,
 * redirects, limits, response-only ones): behind them the proxy may skip its header cleanup
 * (EdgeRequest.hopFree), a dozen runtime calls per request.
 */
const KEEP_HEADERS_CLEAN: ReadonlySet<string> = new Set<EdgeMiddlewareType>([
  'addPrefix',
  'stripPrefix',
  'stripPrefixRegex',
  'replacePath',
  'replacePathRegex',
  'redirectRegex',
  'redirectScheme',
  'ipAllowList',
  'ipWhiteList',
  'rateLimit',
  'inFlightReq',
  'contentType',
  'circuitBreaker',
])

export function keepsHeadersClean(middlewares: PreparedMiddleware[]): boolean {
  for (const m of middlewares) if (!KEEP_HEADERS_CLEAN.has(m.type)) return false
  return true
}

/** `middlewares` in order in front of `final`. Never throws: a broken middleware answers its error. */
export function chain(middlewares: PreparedMiddleware[], final: Handler, edge: EdgeContext): Handler {
  let handler = final
  for (let i = middlewares.length - 1; i >= 0; i--) handler = build(middlewares[i]!, edge)(handler)
  return handler
}

function build(m: PreparedMiddleware, edge: EdgeContext): Middleware {
  const log = edge.log
  const factory = (MIDDLEWARES as Record<string, MiddlewareFactory | undefined>)[m.type]
  if (!factory) return answer(UNIMPLEMENTED_MIDDLEWARE_STATUS, `middleware ${m.name}: ${m.type} is not implemented by the edge`, log)
  try {
    return factory(m.config as never, { name: m.name, edge, ...(m.service ? { service: m.service } : {}) })
  } catch (err) {
    const status = err instanceof UnsupportedConfig ? UNIMPLEMENTED_MIDDLEWARE_STATUS : 500
    return answer(status, `middleware ${m.name}: ${(err as Error).message}`, log)
  }
}

function answer(status: number, message: string, log: (m: string) => void): Middleware {
  log(`[edge] ${message}`)
  const text = status === 500 ? 'Internal Server Error' : 'Not Implemented'
  return () => async () => httpError(status, text)
}
