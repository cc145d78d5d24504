/**
 * How the proxy reaches an upstream: the request it hands a transport, and the errors a transport
 * throws, each with the status Traefik answers for it (ComputeStatusCode: timeouts 504, other
 * network errors 502, a client gone 499).
 *
 * @module
 */

/** Where a server is, parsed once from its URL. */
export interface ServerAddress {
  tls: boolean
  /** Without IPv6 brackets. */
  hostname: string
  port: number
  /** Authority as in the URL (`10.0.0.1:8080`). */
  host: string
}

export interface UpstreamRequest {
  server: ServerAddress
  /** Full upstream URL: server scheme and authority, then `target`. */
  url: string
  /** Origin-form request target: escaped path and `?query`. */
  target: string
  method: string
  /** The Host header the upstream must receive. */
  host: string
  /**
   * The URL's authority is that Host and the runtime writes it itself (workerd's fetch() always
   * does): the fetch transport skips setting it, a runtime call saved.
   */
  hostFromUrl?: boolean
  /** Request headers, hop-by-hop removed; without Host for the socket transports (fetch's sets it). The transport's to change. */
  headers: Headers
  /** A header of `headers` a socket transport must not send (the pool's own, lower case). */
  omitHeader?: string
  body: ReadableStream<Uint8Array> | null
  /** ms; 0 = none. */
  dialTimeoutMs: number
  /** ms from the request written to the response head; 0 = none. */
  responseHeaderTimeoutMs: number
  /** ms a pooled connection may stay idle (Traefik's idleConnTimeout); 0 = no limit. */
  idleConnTimeoutMs: number
  signal: AbortSignal | undefined
}

export type Transport = (req: UpstreamRequest) => Promise<Response>

export type ProxyErrorCode = 'timeout' | 'unreachable' | 'canceled'

const STATUS: Record<ProxyErrorCode, number> = { timeout: 504, unreachable: 502, canceled: 499 }

export class ProxyError extends Error {
  override readonly name = 'ProxyError'
  readonly code: ProxyErrorCode
  constructor(code: ProxyErrorCode, message: string) {
    super(message)
    this.code = code
  }

  get status(): number {
    return STATUS[this.code]
  }
}

/** Runs `work` with a deadline: past `ms` it fails with a timeout ProxyError (and `onTimeout` runs). */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  if (!(ms > 0)) return work
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout()
      reject(new ProxyError('timeout', `${what} took longer than ${ms} ms`))
    }, ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}
