/**
 * One health check of one server, as Traefik runs it (pkg/healthcheck checkHealthHTTP and
 * checkHealthGRPC): resolves when the server is healthy, rejects with the reason otherwise.
 *
 * node:http(s) rather than fetch(): a check must send the configured Host (`hostname`), which
 * fetch() does not let a caller set, and must see a 3xx as such when followRedirects is false.
 * gRPC is the grpc.health.v1 Check call over node:http2, written out by hand (one unary call with
 * an empty request): a gRPC client library would be a large dependency for 30 lines.
 *
 * @module
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { connect as http2Connect, constants as h2 } from 'node:http2'
import { request as httpsRequest } from 'node:https'
import { checkTarget, type HealthCheckSpec, type ProbeTls } from './plan.ts'

/** Go's http.Client default: at most 10 redirects. */
const MAX_REDIRECTS = 10

export function probe(server: string, check: HealthCheckSpec, tls: ProbeTls): Promise<void> {
  return check.mode === 'grpc' ? probeGrpc(server, check, tls) : probeHttp(server, check, tls)
}

export async function probeHttp(server: string, check: HealthCheckSpec, tls: ProbeTls): Promise<void> {
  const deadline = AbortSignal.timeout(check.timeoutMs)
  const target = checkTarget(server, check)
  let url = new URL(target.href)
  let host = check.hostname || target.host
  for (let hop = 0; ; hop++) {
    const res = await send(url, check, host, tls, deadline)
    res.resume()
    const code = res.statusCode ?? 0
    const location = res.headers.location
    if (check.followRedirects && code >= 300 && code < 400 && location && code !== 304) {
      if (hop >= MAX_REDIRECTS) throw new Error('stopped after 10 redirects')
      url = new URL(location, url)
      // Go's client keeps a custom Host through a relative redirect only; an absolute one gets its own host.
      if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location)) host = url.host
      continue
    }
    if (check.status === 0 && (code < 200 || code >= 400)) throw new Error(`received error status code: ${code}`)
    if (check.status !== 0 && code !== check.status) {
      throw new Error(`received error status code: ${code} expected status code: ${check.status}`)
    }
    return
  }
}

function send(url: URL, check: HealthCheckSpec, host: string, tls: ProbeTls, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:'
    if (!secure && url.protocol !== 'http:') return reject(new Error(`unsupported scheme ${url.protocol}`))
    const headers: Record<string, string> = { 'user-agent': 'traefik-edge-healthcheck', ...check.headers, host }
    const options = {
      method: check.method,
      headers,
      signal,
      agent: false as const,
      ...(secure ? tlsOptions(tls, url.hostname) : {}),
    }
    const req = (secure ? httpsRequest : httpRequest)(url.href, options, resolve)
    req.on('error', (err) => reject(signal.aborted ? new Error(`timeout after ${check.timeoutMs}ms`) : new Error(`HTTP request failed: ${err.message}`)))
    req.end()
  })
}

/** grpc.health.v1.Health/Check with an empty request; healthy when the answer is SERVING (1). */
export function probeGrpc(server: string, check: HealthCheckSpec, tls: ProbeTls): Promise<void> {
  const base = new URL(check.path, server)
  // Traefik dials without TLS for scheme '', http and h2c (whatever the server URL says); TLS otherwise.
  const secure = !['', 'http', 'h2c'].includes(check.scheme)
  const port = check.port || Number(base.port) || (base.protocol === 'https:' ? 443 : 80)
  const authority = `${base.hostname}:${port}`
  return new Promise<void>((resolve, reject) => {
    const session = http2Connect(`${secure ? 'https' : 'http'}://${authority}`, secure ? tlsOptions(tls, base.hostname) : {})
    const timer = setTimeout(() => done(new Error(`gRPC health check timeout after ${check.timeoutMs}ms`)), check.timeoutMs)
    let settled = false
    const done = (err?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      session.destroy()
      if (err) reject(err)
      else resolve()
    }
    session.on('error', (err) => done(new Error(`fail to connect to ${authority}: ${err.message}`)))
    const stream = session.request({
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
      [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
    })
    const chunks: Buffer[] = []
    let grpcStatus: string | undefined
    stream.on('response', (headers) => {
      if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status'])
    })
    stream.on('trailers', (trailers) => {
      if (trailers['grpc-status'] !== undefined) grpcStatus = String(trailers['grpc-status'])
    })
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('error', (err) => done(new Error(`gRPC health check failed: ${err.message}`)))
    stream.on('end', () => {
      if (grpcStatus !== '0') {
        return done(
          new Error(
            grpcStatus === '12' ? 'gRPC server does not implement the health protocol' : `gRPC health check failed: grpc-status ${grpcStatus ?? 'missing'}`,
          ),
        )
      }
      const status = servingStatus(Buffer.concat(chunks))
      done(status === 1 ? undefined : new Error(`received gRPC status code: ${status}`))
    })
    // One length-prefixed message: uncompressed, zero bytes (HealthCheckRequest{service: ""}).
    stream.end(Buffer.from([0, 0, 0, 0, 0]))
  })
}

/** HealthCheckResponse.status (field 1, varint) of a length-prefixed message; 0 (UNKNOWN) when absent. */
export function servingStatus(frame: Buffer): number {
  if (frame.length < 5) return 0
  const msg = frame.subarray(5, 5 + frame.readUInt32BE(1))
  let i = 0
  while (i < msg.length) {
    const key = msg[i++]!
    const [value, next] = varint(msg, i)
    if (key === 0x08) return value
    // Skip other fields by wire type: varint (0) read already, length-delimited (2) skips its bytes.
    i = (key & 7) === 2 ? next + value : next
  }
  return 0
}

function varint(buf: Buffer, start: number): [number, number] {
  let value = 0
  let shift = 0
  let i = start
  while (i < buf.length) {
    const b = buf[i++]!
    value += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) break
    shift += 7
  }
  return [value, i]
}

/** Node's TLS options for the transport: SNI (serverName, else the server's name), trust, client certificate. */
function tlsOptions(tls: ProbeTls, hostname: string) {
  return {
    servername: tls.serverName || stripBrackets(hostname),
    rejectUnauthorized: !tls.insecureSkipVerify,
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
  }
}

function stripBrackets(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1')
}
