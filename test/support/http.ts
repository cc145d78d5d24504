// A client request with full control over headers: fetch() in Node drops a `Host` header, and
// host-based routing is most of what the edge does. Answers with the whole body read.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'

export interface SendOptions {
  method?: string
  /** Sent as given, `host` included. */
  headers?: Record<string, string | string[]>
  body?: string | Buffer
  /** CA certificate(s) to trust for an https URL. */
  ca?: string | string[]
  /** Accept any server certificate (a local development server's self-signed one). */
  insecure?: boolean
  /** Abort after this many ms. Default 10000. */
  timeoutMs?: number
}

export interface Sent {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

export function send(url: string, options: SendOptions = {}): Promise<Sent> {
  const target = new URL(url)
  const requester = target.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = requester(
      target.href,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca,
        ...(options.insecure ? { rejectUnauthorized: false } : {}),
        agent: false,
        // SNI follows the Host header a test gives, as a browser's would.
        servername: hostOnly(options.headers?.host ?? options.headers?.Host) ?? target.hostname,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url}: no answer within ${options.timeoutMs ?? 10_000} ms`)))
    req.on('error', reject)
    req.end(options.body)
  })
}

function hostOnly(host: string | string[] | undefined): string | undefined {
  if (typeof host !== 'string') return undefined
  const name = host.replace(/:\d+$/, '')
  // SNI carries names only, never IP addresses.
  return /^[\d.]+$|^\[/.test(name) ? undefined : name
}
