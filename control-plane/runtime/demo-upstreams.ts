// The demo's backends for `npm start`: one small HTTP server per EndpointSlice address and port in
// the example manifests, answering like traefik/whoami (who answered, and the request it got), so
// the demo shows which pod the edge picked and what it forwarded.
import { createServer, type Server } from 'node:http'
import type { KubeObject } from '../compiler/snapshot/kube-types.ts'
import type { Snapshot } from '../compiler/index.ts'

export interface DemoUpstream {
  service: string
  address: string
  port: number
}

/** Every (Service, address, port) the EndpointSlices of the snapshot name. */
export function demoUpstreams(snapshot: Snapshot): DemoUpstream[] {
  const out: DemoUpstream[] = []
  for (const o of snapshot.objects as Array<KubeObject & Record<string, unknown>>) {
    if (o.kind !== 'EndpointSlice') continue
    const service = o.metadata?.labels?.['kubernetes.io/service-name'] ?? String(o.metadata?.name)
    const ports = (o.ports as Array<{ port?: number }> | undefined) ?? []
    for (const endpoint of (o.endpoints as Array<{ addresses?: string[] }> | undefined) ?? []) {
      for (const address of endpoint.addresses ?? []) {
        for (const { port } of ports) if (port) out.push({ service, address, port })
      }
    }
  }
  return out
}

export async function startDemoUpstreams(upstreams: DemoUpstream[]): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = []
  const close = () => Promise.all(servers.map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))))).then(() => {})
  try {
    for (const up of upstreams) {
      const name = `${up.service} ${up.address}:${up.port}`
      const server = createServer((req, res) => {
        const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        res.end([`Hostname: ${name}`, `RemoteAddr: ${req.socket.remoteAddress}`, `${req.method} ${req.url} HTTP/${req.httpVersion}`, ...headers, ''].join('\n'))
      })
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(new Error(`demo upstream ${name}: ${err.message}`)))
        server.listen(up.port, up.address, resolve)
      })
      servers.push(server)
    }
  } catch (err) {
    await close()
    throw err
  }
  return { close }
}
