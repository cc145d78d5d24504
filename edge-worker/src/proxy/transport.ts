/**
 * How the proxy reaches an upstream: the request it hands a transport, and the errors a transport
 * throws, each with the status Traefik answers for it (ComputeStatusCode: timeouts 504, other
 * network errors 502, a client gone 499).
 *
 * @module
 */
import type { Channel } from './dial.ts'

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
  /**
   * Cloudflare: fetch() resolves this host instead of the URL's (`cf.resolveOverride`), the URL
   * carrying the client's Host; both in one of the worker's zones.
   */
  resolveOverride?: string
  /** Request headers, hop-by-hop removed; without Host for the socket transports (fetch's sets it). The transport's to change. */
  headers: Headers
  body: ReadableStream<Uint8Array> | null
  /** ms; 0 = none. */
  dialTimeoutMs: number
  /** ms from the request written to the response head; 0 = none. */
  responseHeaderTimeoutMs: number
  /** ms a pooled connection may stay idle (Traefik's idleConnTimeout); 0 = no limit. */
  idleConnTimeoutMs: number
  /** Idle connections a pool keeps to this server (Traefik's maxIdleConnsPerHost); default 200, -1 none. */
  maxIdleConnsPerHost?: number
  /** ServersTransport serverName: the TLS SNI and the name the server's certificate must carry. */
  serverName?: string
  /**
   * The binding of the ServersTransport's own network (its trusted CAs, client certificate), by
   * name; absent: the worker's default outbound. `channel` is that binding where it was looked up.
   */
  channelName?: string
  channel?: Channel
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
export function withDeadline<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  // Not async: without a deadline, the work's own promise (no frame nor promise of its own per request).
  if (!(ms > 0)) return work
  return raced(work, ms, what, onTimeout)
}

async function raced<T>(work: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
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
