/**
 * What the edge implements, known to both sides: the control plane warns at compile time about
 * anything else, and the edge answers an error for it rather than serving it differently.
 *
 * @module
 */

/** Middleware types the edge runs (edge-worker/src/middlewares registers exactly these). */
export const EDGE_MIDDLEWARES = ['addPrefix', 'headers', 'replacePath', 'stripPrefix'] as const

export type EdgeMiddlewareType = (typeof EDGE_MIDDLEWARES)[number]

/** Status a route answers when one of its middlewares is not implemented by the edge. */
export const UNIMPLEMENTED_MIDDLEWARE_STATUS = 501

/** Where the table will be served from: what the upstream fetch there can and cannot do. */
export type EdgeTarget = 'workerd' | 'cloudflare'
