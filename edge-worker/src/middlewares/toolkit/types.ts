/**
 * What every middleware is made of: a factory from its type's configuration (checked by its
 * shared/middlewares module) and a context, to a wrapper of the next handler.
 *
 * @module
 */
import type { EdgeTarget } from '../../../../shared/table/capabilities.ts'
import type { PreparedService } from '../../../../shared/table/view.ts'
import type { Handler } from '../../request.ts'

export { UnsupportedConfig } from '../../../../shared/middlewares/unsupported.ts'

export type Middleware = (next: Handler) => Handler

/** What a middleware may need beyond its configuration, fixed for the worker's lifetime. */
export interface EdgeContext {
  /** The runtime the table was built for. */
  target: EdgeTarget
  /** The worker's bindings and variables (Durable Objects, keys, ...). */
  env: Record<string, unknown>
  log: (message: string) => void
  /**
   * Builds a prepared service into a handler (the worker's service module, given by the app):
   * how a middleware reaches a service of the table without importing the module that builds
   * middleware chains.
   */
  serviceHandler?: (svc: PreparedService) => Promise<Handler>
}

export interface MiddlewareContext {
  /** The middleware's key in the table (`namespace-name`), for errors and per-middleware state. */
  name: string
  edge: EdgeContext
  /** The page service of an `errors` middleware, prepared from the table. */
  service?: PreparedService
}

// Each factory takes its own type's configuration; the table holds it as unknown JSON.
export type MiddlewareFactory = (config: never, context: MiddlewareContext) => Middleware
