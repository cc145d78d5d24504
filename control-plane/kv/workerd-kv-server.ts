// Serves a KvStore to `workerd serve` over loopback HTTP. A workerd `kvNamespace` binding is
// "implemented by the named service": every get on the binding becomes an HTTP request to it.
// Observed protocol (workerd 1.20261117): GET /<percent-encoded key>?urlencoded=true answers the
// value or 404; POST /bulk/get with {"keys":[...],"type":"text"|"json"} answers a JSON object of
// key -> value|null; GET /?prefix=P&cursor=C lists. The edge only reads, so writes answer 405.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { KvStore } from './store.ts'

export interface KvHttpServer {
  /** host:port for a workerd `external` service. */
  readonly address: string
  close(): Promise<void>
}

export async function serveKvForWorkerd(store: KvStore, host = '127.0.0.1'): Promise<KvHttpServer> {
  const server = createServer((req, res) => {
    handle(store, req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err))
    })
  })
  // workerd keeps connections alive; closeAllConnections() in close() ends them.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    address: `${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function handle(store: KvStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://kv')
  if (req.method === 'POST' && url.pathname === '/bulk/get') {
    const body = JSON.parse(await readBody(req)) as { keys?: unknown; type?: string }
    const keys = body.keys
    if (!Array.isArray(keys) || keys.length < 1 || keys.length > 100 || !keys.every((k) => typeof k === 'string')) {
      res.writeHead(400).end()
      return
    }
    const values = await store.get(keys)
    const out: Record<string, unknown> = {}
    for (const key of keys) {
      const value = values.get(key) ?? null
      out[key] = body.type === 'json' && value !== null ? JSON.parse(value) : value
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out))
    return
  }
  if (req.method === 'GET' && url.pathname === '/') {
    const names = await store.list(url.searchParams.get('prefix') ?? '')
    const listing = { keys: names.map((name) => ({ name })), list_complete: true }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(listing))
    return
  }
  if (req.method === 'GET') {
    const raw = url.pathname.slice(1)
    const key = url.searchParams.get('urlencoded') === 'true' ? decodeURIComponent(raw) : raw
    const value = (await store.get([key])).get(key) ?? null
    if (value === null) res.writeHead(404).end()
    else res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(value)
    return
  }
  res.writeHead(405).end()
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = ''
  req.setEncoding('utf8')
  for await (const chunk of req) text += chunk
  return text
}
