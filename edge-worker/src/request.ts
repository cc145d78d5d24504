/**
 * The request as it travels through the edge: what the client sent, in the form Traefik's
 * handlers see it (Go's req.Host, the escaped path, the raw query), mutable by middlewares.
 *
 * @module
 */
import type { Observation } from './observability/observation.ts'

export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void
}

export interface EdgeRequest {
  method: string
  /** Go's req.Host: the Host header as the client sent it, port included. Middlewares may change it. */
  host: string
  /** The escaped path (Go's EscapedPath), as it is sent upstream. */
  path: string
  /** The raw query without `?`; empty when there is none. */
  query: string
  headers: Headers
  body: ReadableStream<Uint8Array> | null
  /** The client's address, without port. */
  clientIp: string
  tls: boolean
  entryPoint: string
  /** Set by the headers middleware (X-Forwarded-For: ""): the proxy must not add X-Forwarded-For. */
  skipXff: boolean
  /**
   * The headers are as the entry point wrote them, which found no hop-by-hop header and left no
   * X-Forwarded-For, and no middleware that may change them has run (middlewares/index.ts,
   * keepsHeadersClean): the proxy skips its cleanup (a dozen Headers calls, each a cost on
   * workerd). Anything that may change headers clears it.
   */
  hopFree?: boolean
  ctx: ExecutionContextLike
  /** Aborted when the client goes away. */
  signal: AbortSignal | undefined
  /** Set when access logs, metrics or tracing are on (edge-worker/src/observability). */
  observation?: Observation
  /** The client certificate as Cloudflare gives it (request.cf.tlsClientAuth, mTLS); workerd gives none. */
  tlsClientAuth?: TlsClientAuth
  /**
   * The client's own Accept-Encoding on Cloudflare (request.cf.clientAcceptEncoding), which
   * Cloudflare sets when it rewrote the header the worker sees; set only where compress runs.
   */
  clientAcceptEncoding?: string
}

/** The fields of Cloudflare's request.cf.tlsClientAuth that passTLSClientCert reads. */
export interface TlsClientAuth {
  certPresented?: string
  /** `SUCCESS` when Cloudflare verified the certificate (against the zone's mTLS CAs), `NONE`, or `FAILED:reason`. */
  certVerified?: string
  /** `1` when the (verified) certificate is revoked. */
  certRevoked?: string
  /** The leaf certificate, RFC 9440 form (`:base64 DER:`). */
  certRFC9440?: string
  /** The rest of the chain the client sent, RFC 9440 forms joined by commas. */
  certChainRFC9440?: string
}

/**
 * A copy of the request with `changes`: what a spread copies, plus its signal, which the edge's
 * request reads lazily through an accessor a spread would leave behind.
 */
export function copyRequest(req: EdgeRequest, changes: Partial<EdgeRequest>): EdgeRequest {
  return { ...req, signal: req.signal, ...changes }
}

/** A handler in Traefik's sense: a middleware's next, a service, the proxy. */
export type Handler = (req: EdgeRequest) => Promise<Response>

/** Traefik's plain-text error responses (Go's http.Error: text/plain, nosniff, body + newline). */
export function httpError(status: number, text: string): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
  })
}

/** Go's http.StatusText for the statuses the edge writes itself. */
export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}
