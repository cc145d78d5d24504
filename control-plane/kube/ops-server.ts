// /healthz, /readyz and /metrics of the controller. Interim: control-plane/ops (the ops server of
// issue 5's other half) replaces it when it lands; the routes and their meaning stay the same.
// /readyz is 200 once every informer has synced and, on the leader, the first table is published.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { ClusterController } from './controller.ts'

export interface OpsServer {
  readonly url: string
  close(): Promise<void>
}

export async function startOpsServer(controller: ClusterController, registry: Registry, port: number, host = '0.0.0.0'): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n')
    } else if (path === '/readyz') {
      const s = controller.state()
      const body = JSON.stringify(s) + '\n'
      res.writeHead(s.ready ? 200 : 503, { 'content-type': 'application/json' }).end(body)
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      )
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  const address = server.address() as AddressInfo
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
