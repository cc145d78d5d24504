// The control plane's operations endpoints on node:http (no framework: three fixed GET routes):
//   /healthz  200 while the process answers (liveness: the event loop is not stuck)
//   /readyz   200 when the readiness predicate holds, else 503; the body is its detail as JSON
//   /metrics  the registry in Prometheus' text format
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

/** `ready` decides the status; the whole object is the body. */
export interface Readiness {
  readonly ready: boolean
}

export interface OpsServerOptions {
  registry: Registry
  /** Asked on every /readyz; a throw or rejection answers 503 with the message. */
  readiness: () => Readiness | Promise<Readiness>
  /** Runs before each scrape: copies state kept elsewhere (counters, caches) into the metrics. */
  beforeScrape?: () => void
  /** Default 9000; 0 picks a free port. */
  port?: number
  /** Default 0.0.0.0 (probes and scrapes come from outside the pod). */
  host?: string
  /** Asked first for every request (the dashboard): true when it answered. */
  handler?: (req: IncomingMessage, res: ServerResponse) => boolean
}

export interface OpsServer {
  /** Base URL reachable from this machine. */
  readonly url: string
  readonly port: number
  close(): Promise<void>
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { registry, readiness } = options
  const host = options.host ?? '0.0.0.0'
  const server: Server = createServer((req, res) => {
    if (options.handler?.(req, res)) return
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    const send = (status: number, type: string, body: string) =>
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body)
    if (path === '/healthz') {
      send(200, 'text/plain; charset=utf-8', 'ok\n')
    } else if (path === '/readyz') {
      Promise.resolve()
        .then(readiness)
        .then(
          (state) => send(state.ready ? 200 : 503, 'application/json', JSON.stringify(state) + '\n'),
          (err: unknown) => send(503, 'application/json', JSON.stringify({ ready: false, error: (err as Error).message }) + '\n'),
        )
    } else if (path === '/metrics') {
      Promise.resolve()
        .then(() => {
          options.beforeScrape?.()
          return registry.metrics()
        })
        .then(
          (text) => send(200, registry.contentType, text),
          (err: unknown) => send(500, 'text/plain; charset=utf-8', `metrics: ${(err as Error).message}\n`),
        )
    } else {
      send(404, 'text/plain; charset=utf-8', 'not found: /healthz, /readyz, /metrics\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 9000, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${reachable}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
