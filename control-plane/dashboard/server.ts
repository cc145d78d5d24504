/**
 * The dashboard over HTTP: shared/api/dashboard-app.ts (the page, its JSON, and Traefik's API
 * under /api/) over a DashboardModel, on node:http.
 *
 *   GET  {prefix}/               the page
 *   GET  {prefix}/api/state      DashboardState (503 before the first build)
 *   POST {prefix}/api/explain    {url, method?, headers?: [[k, v]...], clientIp?, entryPoint?} -> Explanation + text
 *   GET  {prefix}/api/diff       what the last published change changed + text (null before two builds)
 *   GET  {prefix}/api/rawdata, /api/overview, /api/http/routers...   Traefik's API
 *
 * `dashboardHandler` mounts on any node:http server (the control plane's ops server);
 * `serveDashboard` runs it on its own loopback port (npm run edge, npm start).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { dashboardApp, type DashboardSource } from '../../shared/api/dashboard-app.ts'
import { formatDiff } from '../diff/diff.ts'
import { formatExplanation, type ExplainRequest } from '../explain/explain.ts'
import type { DashboardModel } from './model.ts'

const STATIC_DIR = join(import.meta.dirname, 'static')
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
}
const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
}

/** The page's files, read once: what the Node dashboard serves and what the edge's document carries. */
export function dashboardFiles(): Record<string, { body: string; type: string }> {
  return Object.fromEntries(
    Object.entries(FILES).map(([path, file]) => [path, { body: readFileSync(join(STATIC_DIR, file), 'utf8'), type: TYPES[file.split('.').pop()!]! }]),
  )
}

/** The dashboard's source over the model: live state, diff and explain. */
export function modelSource(model: DashboardModel, files = dashboardFiles()): DashboardSource {
  return {
    file: (path) => files[path] ?? null,
    state: () => model.state(),
    diff: () => {
      const diff = model.diff()
      // `text` is what `npm run diff` prints for the two builds.
      return diff ? { ...diff, text: formatDiff(diff) } : null
    },
    explain: (body) => {
      let input: ExplainRequest
      try {
        input = parseExplainInput(body)
      } catch (err) {
        return { status: 400, body: { error: (err as Error).message } }
      }
      const explanation = model.explain(input)
      // `text` is what `npm run explain` prints for the same request.
      return explanation
        ? { status: 200, body: { ...explanation, text: formatExplanation(explanation) } }
        : { status: 503, body: { error: 'no configuration built yet' } }
    },
  }
}

/** Handles the request when its path is under `prefix` (default ''); returns false otherwise. */
export function dashboardHandler(model: DashboardModel, options: { prefix?: string } = {}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const prefix = (options.prefix ?? '').replace(/\/$/, '')
  const app = dashboardApp(modelSource(model), () => model.api())
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard')
    if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return false
    if (url.pathname === prefix && prefix !== '') {
      res.writeHead(308, { location: `${prefix}/` }).end()
      return true
    }
    url.pathname = url.pathname.slice(prefix.length)
    void serveFetch(app.fetch, req, res, url)
    return true
  }
}

/** Hands a node:http request to a fetch handler and writes its answer back. */
async function serveFetch(handle: (request: Request) => Response | Promise<Response>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  try {
    const method = req.method ?? 'GET'
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v)
    const hasBody = method !== 'GET' && method !== 'HEAD'
    const request = new Request(url, {
      method,
      headers,
      ...(hasBody ? { body: Readable.toWeb(req) as unknown as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit)
    const response = await handle(request)
    const body = Buffer.from(await response.arrayBuffer())
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(method === 'HEAD' ? undefined : body)
  } catch (err) {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: (err as Error).message }))
  }
}

/** Checks the form's JSON; throws a message for the user. */
export function parseExplainInput(v: unknown): ExplainRequest {
  if (typeof v !== 'object' || v === null) throw new Error('expected a JSON object')
  const o = v as Record<string, unknown>
  if (typeof o.url !== 'string') throw new Error('url: required')
  let url: URL
  try {
    url = new URL(o.url)
  } catch {
    throw new Error(`url: ${JSON.stringify(o.url)} is not an absolute URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('url: http or https only')
  const headers = o.headers ?? []
  if (!Array.isArray(headers) || !headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === 'string'))) {
    throw new Error('headers: expected [[name, value], ...]')
  }
  const text = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined)
  const method = text('method')
  const clientIp = text('clientIp')
  const entryPoint = text('entryPoint')
  return {
    url: o.url,
    headers: headers as Array<[string, string]>,
    ...(method ? { method } : {}),
    ...(clientIp ? { clientIp } : {}),
    ...(entryPoint ? { entryPoint } : {}),
  }
}

export interface DashboardServer {
  url: string
  close(): Promise<void>
}

/** The dashboard alone on 127.0.0.1:port (0: any free port). */
export async function serveDashboard(model: DashboardModel, port: number, host = '127.0.0.1'): Promise<DashboardServer> {
  const handle = dashboardHandler(model)
  const server = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address() as AddressInfo
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
