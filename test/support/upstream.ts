// Upstream servers for e2e tests: real HTTP or HTTPS servers on loopback. 127.0.0.0/8 is all
// loopback on Linux, so 127.0.0.2, 127.0.0.3... are distinct servers on the same port numbers.
// By default a server answers with a JSON echo of what it received, so a test can assert exactly
// what the edge sent upstream; every request is also recorded in `requests`.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { leafCert } from './certs.ts'

export interface RecordedRequest {
  method: string
  /** Path and query as received. */
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** The peer address the upstream saw. */
  remoteAddress: string
}

/** What the default handler answers: the request as received plus the server's name. */
export interface Echo extends RecordedRequest {
  server: string
}

export interface UpstreamOptions {
  /** Loopback address to listen on. Default 127.0.0.1. */
  host?: string
  /** Default 0 (a free port). */
  port?: number
  /** Serve HTTPS with a leaf certificate from the test CA (trust `testCa().cert`). */
  tls?: boolean
  /** Names the server in echoes (default `host:port`). */
  name?: string
  /** Replaces the JSON echo. The body has already been read into `recorded.body`. */
  handler?: (req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest) => void | Promise<void>
}

export interface Upstream {
  readonly name: string
  readonly host: string
  readonly port: number
  /** `http://host:port` or `https://host:port`. */
  readonly url: string
  readonly requests: RecordedRequest[]
  close(): Promise<void>
}

export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const host = options.host ?? '127.0.0.1'
  const requests: RecordedRequest[] = []
  let name = options.name ?? ''
  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      remoteAddress: req.socket.remoteAddress ?? '',
    }
    requests.push(recorded)
    try {
      if (options.handler) await options.handler(req, res, recorded)
      else {
        const echo: Echo = { server: name, ...recorded }
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name }).end(JSON.stringify(echo))
      }
    } catch (err) {
      if (!res.headersSent) res.writeHead(500)
      res.end(String(err))
    }
  }
  const server: Server = options.tls
    ? createHttpsServer({ ...leafCert({ dns: ['localhost', ...(options.name ? [options.name] : [])], ip: [host] }) }, listener)
    : createHttpServer(listener)
  const sockets = new Set<Socket>()
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  name ||= `${host}:${port}`
  return {
    name,
    host,
    port,
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      }),
  }
}
