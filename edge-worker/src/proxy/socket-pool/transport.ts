/**
 * The proxy's pooled socket transport: the request goes to the UpstreamPool object for its
 * server (./pool-object.ts), which speaks HTTP/1.1 over a kept-alive connection. The request head
 * (with the client's Host) is written here and the Response made here from what the object
 * answers (./protocol.ts). Used when the worker has the UPSTREAM_POOL binding (self-hosted workerd
 * and `npm run edge`); without it the proxy opens a socket per request.
 *
 * @module
 */
import { removeHopByHop } from '../../../../shared/http/forwarded.ts'
import { headEnd, headText, headersOf, parseResponseHead, serializeRequestHead } from '../http1/wire.ts'
import { ProxyError, type ServerAddress, type Transport } from '../transport.ts'
import { CHUNKED, HEAD_METHOD, REPLAYABLE, parseFailure, replayable, routeString, type PoolAnswer, type PoolStub } from './protocol.ts'

export const POOL_BINDING = 'UPSTREAM_POOL'

/** The bits of a Durable Object namespace binding used here. */
export interface PoolNamespace {
  idFromName(name: string): unknown
  get(id: unknown): PoolStub
}

interface Target {
  id: unknown
  route: string
}

export function pooledSocketTransport(env: Record<string, unknown>): Transport | undefined {
  const ns = env[POOL_BINDING] as PoolNamespace | undefined
  if (!ns || typeof ns.idFromName !== 'function') return undefined
  // Ids and routes are plain values, kept (by the proxy's server address object: one per server
  // and transport, made with that transport's settings); a stub is an I/O object of the request that made it.
  const targets = new WeakMap<ServerAddress, Target>()
  return async (req) => {
    let target = targets.get(req.server)
    if (target === undefined) {
      // One object per server and transport: connections of different trust or TLS names never mix.
      const name = `${req.server.tls ? 'https' : 'http'}://${req.server.host}${req.channelName || req.serverName ? `#${req.channelName ?? ''}#${req.serverName ?? ''}` : ''}`
      targets.set(req.server, (target = { id: ns.idFromName(name), route: routeString(req) }))
    }
    const bodyKind = req.body === null ? 'none' : req.headers.has('content-length') ? 'length' : 'chunked'
    const requestHead = serializeRequestHead({ method: req.method, target: req.target, host: req.host, headers: req.headers, body: bodyKind })
    const flags = (req.method === 'HEAD' ? HEAD_METHOD : 0) | (replayable(req) ? REPLAYABLE : 0) | (bodyKind === 'chunked' ? CHUNKED : 0)
    let answer: PoolAnswer
    try {
      answer = await ns.get(target.id).exchange(target.route, requestHead, req.body, flags)
    } catch (err) {
      if (req.signal?.aborted) throw new ProxyError('canceled', 'client closed the request')
      throw new ProxyError('unreachable', `${req.server.host}: ${(err as Error).message}`)
    }
    if (typeof answer === 'string') {
      const { code, message } = parseFailure(answer)
      throw new ProxyError(code, message)
    }
    // Head and body in one array of bytes, or the head and a stream of the body.
    const bytes = answer instanceof Uint8Array ? answer : answer[0]
    const end = headEnd(bytes, 0)
    const head = parseResponseHead(headText(end === bytes.length ? bytes : bytes.subarray(0, end)))
    const none = req.method === 'HEAD' || head.status === 204 || head.status === 304
    const body = answer instanceof Uint8Array ? (none ? null : bytes.subarray(end)) : answer[1]
    // Connection, Keep-Alive and the headers Connection names speak of this hop only. Removed here,
    // with Connection itself: the proxy, which would read it, never sees it.
    const headers = headersOf(head.fields)
    removeHopByHop(headers, false)
    // The bytes are already encoded as Content-Encoding says: workerd must not encode them again.
    return new Response(body, {
      status: head.status,
      statusText: head.statusText,
      headers,
      encodeBody: 'manual',
    } as ResponseInit)
  }
}
