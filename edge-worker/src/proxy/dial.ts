/**
 * Opening a TCP (or TLS) connection to an upstream server, the way its ServersTransport says:
 * through the transport's own network when it has one (a worker binding to a workerd network
 * service whose tlsOptions hold that transport's trusted CAs and client certificate; generated
 * by control-plane/runtime/workerd-config.ts), and with `serverName` as both the SNI and the name
 * the certificate is verified against. workerd sets those with `startTls({expectedServerHostname})`
 * on a `starttls` socket; without a serverName, TLS starts at once and verifies the server's host.
 *
 * @module
 */
import { ProxyError, withDeadline, type UpstreamRequest } from './transport.ts'

export interface SocketLike {
  readonly opened: Promise<unknown>
  readonly readable: ReadableStream<Uint8Array>
  readonly writable: WritableStream<Uint8Array>
  close(): Promise<void>
  startTls?(options?: { expectedServerHostname?: string }): SocketLike
}

/** What `cloudflare:sockets`' connect (and a Fetcher's connect) offers; a parameter so Node tests can give theirs. */
export type Connect = (
  address: { hostname: string; port: number },
  options: { secureTransport: 'on' | 'off' | 'starttls'; allowHalfOpen: boolean },
) => SocketLike

/** A worker binding that reaches upstreams: a workerd network service or an mtls_certificates binding. */
export interface Channel {
  fetch(input: string, init?: RequestInit): Promise<Response>
  connect?: Connect
}

let sockets: Promise<Connect> | null = null

/** The global connect() of `cloudflare:sockets`, loaded on first use (the module exists only in the Workers runtime). */
export function globalConnect(): Promise<Connect> {
  return (sockets ??= import('cloudflare:sockets').then((m) => m.connect as unknown as Connect))
}

/** The connect of the transport's channel (bound methods of a binding keep their receiver). */
export function channelConnect(channel: Channel | undefined, name: string | undefined): Connect | Promise<Connect> {
  if (name === undefined) return globalConnect()
  if (!channel || typeof channel.connect !== 'function')
    throw new ProxyError('unreachable', `the transport's binding ${name} is not configured in this worker (regenerate the workerd config)`)
  return (address, options) => channel.connect!(address, options)
}

/**
 * Connects and waits until the connection (and the TLS handshake, for a serverName) is up, within
 * the dial timeout; failures as ProxyErrors. `onAbort` closes it when the client goes away.
 */
export async function dial(req: Pick<UpstreamRequest, 'server' | 'serverName' | 'dialTimeoutMs'>, connect: Connect): Promise<SocketLike> {
  const { tls, hostname, port } = req.server
  const sni = tls ? req.serverName : undefined
  let socket = connect({ hostname, port }, { secureTransport: !tls ? 'off' : sni ? 'starttls' : 'on', allowHalfOpen: false })
  const close = () => void socket.close().catch(() => {})
  try {
    if (sni) socket = socket.startTls!({ expectedServerHostname: sni })
    await withDeadline(socket.opened, req.dialTimeoutMs, 'connecting', close)
  } catch (err) {
    close()
    if (err instanceof ProxyError) throw err
    throw new ProxyError('unreachable', `connecting to ${req.server.host}${sni ? ` (TLS name ${sni})` : ''}: ${(err as Error).message}`)
  }
  return socket
}
