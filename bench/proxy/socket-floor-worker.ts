// The forwarding floor (./forwarding-floor-worker.ts) over a socket of its own per request instead
// of fetch(): the same headers, written as an HTTP/1.1 head with the client's Host by the project's
// wire.ts on a `cloudflare:sockets` connection opened in the request's own context, the response
// head parsed by wire.ts, the body streamed, the connection closed after the response. The
// cheapest way the runtime has to send any Host to any address, without connection reuse (a TCP
// handshake per request): what the passHostHeader path to pod addresses costs by itself without
// the UpstreamPool object (bench/proxy/ab.ts --pass-host --entry socket-floor=bench/proxy/socket-floor-worker.ts).
import { connect } from 'cloudflare:sockets'
import { ByteReader, bodyStream, headersOf, readResponseHead, responseFraming, serializeRequestHead } from '../../edge-worker/src/proxy/http1/wire.ts'
import { forwarded } from './forwarding-floor-worker.ts'

interface Env {
  UPSTREAM: string
}

let address: { hostname: string; port: number } | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (!address) {
      const u = new URL(env.UPSTREAM)
      address = { hostname: u.hostname, port: Number(u.port) || 80 }
    }
    const { headers, authority, path } = forwarded(request)
    const socket = connect(address, { secureTransport: 'off', allowHalfOpen: false })
    const close = () => void socket.close().catch(() => {})
    // GET without a body: the head is the whole request.
    void socket.writable
      .getWriter()
      .write(serializeRequestHead({ method: request.method, target: path, host: authority, headers, body: 'none', close: true }))
      .catch(close)
    const reader = new ByteReader(socket.readable.getReader())
    try {
      const head = await readResponseHead(reader)
      const body = bodyStream(reader, responseFraming(request.method, head), close)
      return new Response(body, { status: head.status, statusText: head.statusText, headers: headersOf(head.fields), encodeBody: 'manual' } as ResponseInit)
    } catch (err) {
      close()
      return new Response((err as Error).message, { status: 502 })
    }
  },
}
